"""Grafana provisioning documents: the datasource, the folders, the alerting.

The same definitions feed both ways of setting up a Grafana: files Grafana reads at start
(`render`, used by deploy/compose) and calls to its HTTP API (`provision`). File documents
keep `${ENV}` placeholders for anything that differs per deployment; Grafana fills them.

Two folders, with different uids and titles. Grafana 11.6 provisions alerting before
dashboards; rule files name their folder by title only, and a missing one is created with
a random uid. The dashboard provider then looks its folder up by `folderUid` and, missing,
creates it with its title; had both used one title, that creation fails on the name clash
and no dashboard is provisioned. `tests/unit/dashboards/test_first_start.py` replays that
order on the rendered files.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards import defaults as d
from dashboards.alerting import notify
from dashboards.alerting.rules import RULES, Rule, rule_annotations, rule_labels, rule_queries

ORG_ID = 1
#: The dashboards' folder (created by the dashboard provider, with this uid).
FOLDER_UID = "cityops"
FOLDER_TITLE = "cityops — bảng điều khiển"
#: The alert rules' folder (created by alerting provisioning, by title).
ALERTS_FOLDER_UID = "cityops-alerts"
ALERTS_FOLDER_TITLE = "cityops — cảnh báo"
RULE_INTERVAL_S = 60
#: Where compose puts what `cityops dashboards render` writes, inside the Grafana container.
RENDER_PATH = "/etc/cityops-grafana"
DASHBOARDS_PATH = f"{RENDER_PATH}/dashboards"


@dataclass(frozen=True)
class ClickHouseTarget:
    """How Grafana reaches ClickHouse: as the read-only account, over the native protocol."""

    host: str = "${CITYOPS_CLICKHOUSE_HOST}"
    port: int = 9000
    database: str = "${CITYOPS_CLICKHOUSE_DATABASE}"
    user: str = "${CITYOPS_CLICKHOUSE_READER_USER}"
    #: Read by Grafana from the compose secret file at start, never written into a file.
    password: str = "$__file{/run/secrets/clickhouse_reader_password}"


def datasource(target: ClickHouseTarget) -> d.Json:
    """The datasource every panel names (uid `defaults.DATASOURCE_UID`)."""
    return {
        "name": d.DATASOURCE_NAME,
        "uid": d.DATASOURCE_UID,
        "type": d.DATASOURCE_TYPE,
        "access": "proxy",
        "isDefault": True,
        "editable": False,
        "jsonData": {
            "host": target.host,
            "port": target.port,
            "protocol": "native",
            "secure": False,
            "username": target.user,
            "defaultDatabase": target.database,
        },
        "secureJsonData": {"password": target.password},
    }


def datasources_file(target: ClickHouseTarget) -> d.Json:
    return {"apiVersion": 1, "datasources": [{"orgId": ORG_ID, **datasource(target)}]}


def dashboards_file() -> d.Json:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "cityops",
                "orgId": ORG_ID,
                "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


def _file_labels(rule: Rule) -> dict[str, str]:
    """Labels with `$` doubled: Grafana expands env vars in provisioned labels (only there;
    annotations and queries are left alone), so `{{ $labels.x }}` must be written `$$`."""
    return {k: v.replace("$", "$$") for k, v in rule_labels(rule).items()}


def _rule(rule: Rule, labels: dict[str, str]) -> d.Json:
    return {
        "uid": rule.uid,
        "title": rule.title,
        "condition": "C",
        "data": rule_queries(rule),
        "noDataState": rule.no_data,
        "execErrState": "Error",
        "for": rule.pending,
        "labels": labels,
        "annotations": rule_annotations(rule),
        "isPaused": False,
    }


def rule_groups() -> dict[str, list[Rule]]:
    groups: dict[str, list[Rule]] = {}
    for rule in RULES:
        groups.setdefault(rule.group, []).append(rule)
    return groups


def alerting_file(recipients: notify.Recipients) -> d.Json:
    """Rules, the message template, and (when a channel is configured) contact points and
    the policy tree, in Grafana's file-provisioning format."""
    document: d.Json = {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": ORG_ID,
                "name": name,
                "folder": ALERTS_FOLDER_TITLE,
                "interval": f"{RULE_INTERVAL_S}s",
                "rules": [_rule(r, _file_labels(r)) for r in rules],
            }
            for name, rules in rule_groups().items()
        ],
        "templates": [{"orgId": ORG_ID, "name": notify.TEMPLATE_NAME, "template": notify.TEMPLATE}],
    }
    points: dict[str, list[d.Json]] = {}
    for integration in notify.contact_points(recipients):
        points.setdefault(integration["name"], []).append(
            {k: v for k, v in integration.items() if k != "name"}
        )
    if points:
        document["contactPoints"] = [
            {"orgId": ORG_ID, "name": name, "receivers": receivers}
            for name, receivers in points.items()
        ]
    tree = notify.policy_tree(recipients)
    if tree is not None:
        document["policies"] = [{"orgId": ORG_ID, **tree}]
    return document


def api_rule_group(name: str, rules: list[Rule]) -> d.Json:
    """A rule group in the body the provisioning API's PUT rule-groups expects."""
    return {
        "title": name,
        "folderUid": ALERTS_FOLDER_UID,
        "interval": RULE_INTERVAL_S,
        "rules": [
            {
                **_rule(r, rule_labels(r)),
                "folderUID": ALERTS_FOLDER_UID,
                "ruleGroup": name,
                "orgID": ORG_ID,
            }
            for r in rules
        ],
    }
