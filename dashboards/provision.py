"""Push the datasource, dashboards and alerting to a running Grafana over its HTTP API.

For a Grafana that cityops does not start itself (a shared or cloud instance), where file
provisioning is not an option. Every step is an upsert keyed by uid, so running it again
after a change updates in place; nothing else on that Grafana is touched. Resources are
pushed with `X-Disable-Provenance` so operators may still silence or tune them in the UI.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from dashboards import defaults as d
from dashboards import provisioning
from dashboards.alerting import notify
from dashboards.boards import build_all

log = logging.getLogger(__name__)


@dataclass
class ProvisionReport:
    """What was created or updated, by kind, for the CLI to print."""

    done: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, name: str) -> None:
        self.done.setdefault(kind, []).append(name)


def _exists(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except GrafanaClientError as error:
        if error.status_code == 404:
            return False
        raise
    return True


def _datasource(api: GrafanaApi, target: provisioning.ClickHouseTarget) -> None:
    body = provisioning.datasource(target)
    if _exists(lambda: api.datasource.get_datasource_by_uid(d.DATASOURCE_UID)):
        api.datasource.update_datasource_by_uid(d.DATASOURCE_UID, body)
    else:
        api.datasource.create_datasource(body)


def _folder(api: GrafanaApi, uid: str, title: str) -> None:
    if not _exists(lambda: api.folder.get_folder(uid)):
        api.folder.create_folder(title, uid=uid)


def _contact_points(api: GrafanaApi, recipients: notify.Recipients) -> list[str]:
    existing = {p.get("uid") for p in api.alertingprovisioning.get_contactpoints()}
    names = []
    for point in notify.contact_points(recipients):
        if point["uid"] in existing:
            api.alertingprovisioning.update_contactpoint(
                point["uid"], point, disable_provenance=True
            )
        else:
            api.alertingprovisioning.create_contactpoint(point, disable_provenance=True)
        names.append(f"{point['name']} ({point['type']})")
    return names


def provision(
    api: GrafanaApi,
    target: provisioning.ClickHouseTarget,
    recipients: notify.Recipients,
) -> ProvisionReport:
    """Upsert everything cityops needs in `api`'s Grafana; returns what was pushed."""
    report = ProvisionReport()
    _datasource(api, target)
    report.add("datasource", d.DATASOURCE_UID)
    _folder(api, provisioning.FOLDER_UID, provisioning.FOLDER_TITLE)
    report.add("folder", provisioning.FOLDER_UID)
    _folder(api, provisioning.ALERTS_FOLDER_UID, provisioning.ALERTS_FOLDER_TITLE)
    report.add("folder", provisioning.ALERTS_FOLDER_UID)
    for board in build_all():
        api.dashboard.update_dashboard(
            {"dashboard": board, "folderUid": provisioning.FOLDER_UID, "overwrite": True}
        )
        report.add("dashboard", board["uid"])
    api.alertingprovisioning.create_or_update_template(
        notify.TEMPLATE_NAME, {"template": notify.TEMPLATE}, disable_provenance=True
    )
    report.add("template", notify.TEMPLATE_NAME)
    for name in _contact_points(api, recipients):
        report.add("contact point", name)
    tree = notify.policy_tree(recipients)
    if tree is not None:
        api.alertingprovisioning.set_notification_policy_tree(tree, disable_provenance=True)
        report.add("notification policy", "root")
    for name, rules in provisioning.rule_groups().items():
        api.alertingprovisioning.update_rule_group(
            provisioning.ALERTS_FOLDER_UID,
            name,
            provisioning.api_rule_group(name, rules),
            disable_provenance=True,
        )
        report.add("rule group", name)
    return report
