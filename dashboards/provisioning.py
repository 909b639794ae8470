"""Grafana provisioning documents: the datasource, the dashboard folder, the alerting.

The same definitions feed both ways of setting up a Grafana: files Grafana reads at start
(`render`, used by deploy/compose) and calls to its HTTP API (`provision`). File documents
keep `${ENV}` placeholders for anything that differs per deployment; Grafana fills them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards import defaults as d
from dashboards.alerting import notify
from dashboards.alerting.rules import RULES, Rule, rule_annotations, rule_labels, rule_queries

ORG_ID = 1
FOLDER_UID = "cityops"
RULE_INTERVAL_S = 60
#: Where the compose file mounts the rendered dashboards inside the Grafana container.
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/cityops"


@dataclass(frozen=True)
class ClickHouseTarget:
    """How Grafana reaches ClickHouse: as the read-only account, over the native protocol."""

    host: str = "${CITYOPS_CLICKHOUSE_HOST}"
    port: int = 9000
    database: str = "${CITYOPS_CLICKHOUSE_DATABASE}"
    user: str = "${CITYOPS_CLICKHOUSE_READER_USER}"
    password: str = "${CITYOPS_CLICKHOUSE_READER_PASSWORD}"


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
                "folder": d.FOLDER,
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
        "noDataState": "OK",
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
    """Rules, contact points and the policy tree in Grafana's file-provisioning format."""
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": ORG_ID,
                "name": name,
                "folder": d.FOLDER,
                "interval": f"{RULE_INTERVAL_S}s",
                "rules": [_rule(r, _file_labels(r)) for r in rules],
            }
            for name, rules in rule_groups().items()
        ],
        "contactPoints": [
            {
                "orgId": ORG_ID,
                "name": point["name"],
                "receivers": [{k: v for k, v in point.items() if k != "name"}],
            }
            for point in notify.contact_points(recipients)
        ],
        "policies": [{"orgId": ORG_ID, **notify.policy_tree()}],
    }


def api_rule_group(name: str, rules: list[Rule]) -> d.Json:
    """A rule group in the body the provisioning API's PUT rule-groups expects."""
    return {
        "title": name,
        "folderUid": FOLDER_UID,
        "interval": RULE_INTERVAL_S,
        "rules": [
            {
                **_rule(r, rule_labels(r)),
                "folderUID": FOLDER_UID,
                "ruleGroup": name,
                "orgID": ORG_ID,
            }
            for r in rules
        ],
    }
