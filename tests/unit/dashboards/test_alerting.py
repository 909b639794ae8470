"""Alert rules and routing say what the duty officers were promised."""

from __future__ import annotations

import re

from cityops.contract import Severity
from dashboards import defaults as d
from dashboards.alerting import notify
from dashboards.alerting.rules import EXPRESSION_DATASOURCE, RULES, rule_queries
from dashboards.boards import BUILDERS
from dashboards.provisioning import alerting_file, api_rule_group, rule_groups


def _seconds(duration: str) -> int:
    value, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()  # type: ignore[union-attr]
    return int(value) * {"s": 1, "m": 60, "h": 3600}[unit]


def test_rule_uids_unique_and_conditions_resolve() -> None:
    uids = [r.uid for r in RULES]
    assert len(set(uids)) == len(uids)
    for rule in RULES:
        data = rule_queries(rule)
        refs = {q["refId"] for q in data}
        assert refs == {"A", "B", "C"}
        assert data[1]["model"]["expression"] == "A" and data[2]["model"]["expression"] == "B"
        assert data[0]["datasourceUid"] == d.DATASOURCE_UID
        assert {q["datasourceUid"] for q in data[1:]} == {EXPRESSION_DATASOURCE}
        assert data[0]["model"]["format"] == d.FORMAT_TABLE, "labels come from table rows"


def test_each_rule_says_what_where_and_what_to_open() -> None:
    for rule in RULES:
        assert rule.dashboard_uid in BUILDERS, rule.uid
        assert "{{" in rule.summary, f"{rule.uid}: the summary should name what fired"
        assert "Open" in rule.description, f"{rule.uid}: say what to open"


def test_rules_cover_the_duty_officers_list() -> None:
    covered = {r.uid for r in RULES}
    assert {
        "cityops-dossier-overdue",
        "cityops-on-time-low",
        "cityops-payment-failure-rate",
        "cityops-source-silent",
        "cityops-satisfaction-drop",
        "cityops-stream-alerts",
    } <= covered


def test_severity_labels_are_known_or_taken_from_the_alert() -> None:
    known = {s.value for s in Severity}
    for rule in RULES:
        assert rule.severity in known or rule.severity == "{{ $labels.severity }}", rule.uid


def test_critical_alerts_reach_duty_officers_within_30_seconds() -> None:
    tree = notify.policy_tree()
    critical = [
        route
        for route in tree["routes"]
        if ["severity", "=", Severity.CRITICAL.value] in route["object_matchers"]
    ]
    assert [r["receiver"] for r in critical] == [notify.DUTY_OFFICERS]
    assert _seconds(critical[0]["group_wait"]) <= 30
    receivers = {p["name"] for p in notify.contact_points(notify.Recipients())}
    assert {tree["receiver"], *(r["receiver"] for r in tree["routes"])} <= receivers


def test_file_provisioning_keeps_addresses_out_of_the_repo() -> None:
    document = alerting_file(notify.Recipients())
    settings = [r["settings"] for p in document["contactPoints"] for r in p["receivers"]]
    assert settings[0]["url"] == "${" + notify.WEBHOOK_ENV + "}"
    assert settings[1]["addresses"] == "${" + notify.EMAIL_ENV + "}"
    assert sum(len(g["rules"]) for g in document["groups"]) == len(RULES)


def test_api_rule_group_carries_folder_and_group_on_each_rule() -> None:
    for name, rules in rule_groups().items():
        body = api_rule_group(name, rules)
        assert all(
            r["ruleGroup"] == name and r["folderUID"] == body["folderUid"] for r in body["rules"]
        )


def test_templated_labels_survive_grafanas_env_expansion() -> None:
    """Grafana expands `$VAR` in provisioned labels; `$$` keeps a literal `$` for templates."""
    file_rules = {
        r["uid"]: r for g in alerting_file(notify.Recipients())["groups"] for r in g["rules"]
    }
    api_rules = {
        r["uid"]: r for n, rs in rule_groups().items() for r in api_rule_group(n, rs)["rules"]
    }
    agency = file_rules["cityops-dossier-overdue"]
    assert agency["labels"]["agency"] == "{{ $$labels.agency_code }}"
    assert api_rules["cityops-dossier-overdue"]["labels"]["agency"] == "{{ $labels.agency_code }}"
    assert "{{ $labels.agency_code }}" in agency["annotations"]["summary"]  # not expanded
    for rule in file_rules.values():
        for value in rule["labels"].values():
            assert "$" not in value.replace("$$", ""), rule["uid"]
