"""Alert rules and routing say what the duty officers were promised, once per condition."""

from __future__ import annotations

import re

from cityops.contract import AlertKind, Severity
from cityops.db.tables import V_ALERTS, V_PIPELINE_HEALTH
from cityops.settings import AlertingSettings
from dashboards import defaults as d
from dashboards.alert_kinds import KINDS
from dashboards.alerting import notify, pages, pipeline
from dashboards.alerting.model import CONDITION, QUERY, REDUCED, reduced_ref
from dashboards.alerting.rules import EXPRESSION_DATASOURCE, RULES, rule_queries
from dashboards.boards import BUILDERS
from dashboards.provisioning import alerting_file, api_rule_group, rule_groups

CONFIGURED = AlertingSettings(
    email_to="ops@example.org",
    smtp_host="smtp.example.org:587",
    telegram_chat_id="-100123",
    telegram_bot_token_path="/run/secrets/telegram_bot_token",
    webhook_url="https://duty.example.org/hook",
    webhook_token="not-in-any-file",
)


def _seconds(duration: str) -> int:
    value, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()  # type: ignore[union-attr]
    return int(value) * {"s": 1, "m": 60, "h": 3600}[unit]


def test_rule_uids_unique_and_conditions_resolve() -> None:
    uids = [r.uid for r in RULES]
    assert len(set(uids)) == len(uids)
    for rule in RULES:
        data = {q["refId"]: q for q in rule_queries(rule)}
        assert {QUERY, REDUCED, CONDITION} <= set(data)
        assert data[REDUCED]["model"]["expression"] == QUERY
        assert data[CONDITION]["model"]["expression"] == REDUCED
        for detail in rule.details:
            assert data[reduced_ref(detail)]["model"]["expression"] == detail.ref_id
        for ref, query in data.items():
            is_data = query["datasourceUid"] == d.DATASOURCE_UID
            assert is_data or query["datasourceUid"] == EXPRESSION_DATASOURCE, ref
            if is_data:
                assert query["model"]["format"] == d.FORMAT_TABLE, "labels come from table rows"


def test_grafana_judges_no_domain_condition_again() -> None:
    """One evaluator per condition: pages read the workers' alert rows; Grafana's own rules
    read only pipeline health, never the dossier, payment or portal figures."""
    for rule in pages.RULES:
        assert f"FROM {V_ALERTS}" in rule.sql, rule.uid
    for rule in pipeline.RULES:
        assert V_PIPELINE_HEALTH in rule.sql, rule.uid
        assert V_ALERTS not in rule.sql, rule.uid
    assert {r.uid for r in RULES} == {r.uid for r in (*pages.RULES, *pipeline.RULES)}


def test_a_page_names_agency_count_new_and_links_to_the_agency() -> None:
    page = pages.PAGE
    assert page.pending == "0s", "the workers already waited; Grafana must not delay again"
    assert "$labels.agency" in page.summary and "$values.B.Value" in page.summary
    assert f"$values.{reduced_ref(pages.NEW)}.Value" in page.summary
    assert "var-agency={{ $labels.agency }}" in page.link
    assert page.link.startswith("{{ externalURL }}/d/")
    assert set(KINDS) == set(AlertKind), "every kind the workers raise has words and a board"
    for words in KINDS.values():
        assert words.dashboard_uid in BUILDERS
        assert words.vi in page.summary and words.en in page.description


def test_every_rule_says_what_and_where_to_open() -> None:
    for rule in RULES:
        assert rule.dashboard_uid in BUILDERS, rule.uid
        assert "{{" in rule.summary, f"{rule.uid}: the summary should name what fired"
        assert "Open" in rule.description, f"{rule.uid}: say what to open"
        assert "externalURL" in rule.link, f"{rule.uid}: links must work outside Grafana"


def test_silence_itself_fires_where_it_is_the_failure() -> None:
    by_uid = {r.uid: r for r in pipeline.RULES}
    assert by_uid["cityops-wall-stale"].no_data == "Alerting"
    assert by_uid["cityops-workers-silent"].no_data == "Alerting"
    assert pages.PAGE.no_data == "OK", "no firing alert row is good news"


def test_pages_are_grouped_per_agency_and_kind_and_rate_limited() -> None:
    tree = notify.policy_tree(notify.file_recipients(CONFIGURED))
    assert tree is not None
    critical = [
        route
        for route in tree["routes"]
        if ["severity", "=", Severity.CRITICAL.value] in route["object_matchers"]
    ]
    assert [r["receiver"] for r in critical] == [notify.DUTY_OFFICERS]
    for route in (tree, *critical):
        assert {"alertname", "agency", "kind"} <= set(route["group_by"])
        assert _seconds(route["repeat_interval"]) >= 3600, "at most one repeat an hour"
    assert _seconds(critical[0]["group_wait"]) <= 30
    assert tree["receiver"] == notify.OPERATIONS, "warnings go to the mailbox when there is one"


def test_only_configured_channels_exist() -> None:
    assert notify.policy_tree(notify.file_recipients(AlertingSettings())) is None
    assert notify.contact_points(notify.file_recipients(AlertingSettings())) == []
    no_smtp = CONFIGURED.model_copy(update={"smtp_host": ""})
    types = {p["type"] for p in notify.contact_points(notify.file_recipients(no_smtp))}
    assert types == {"telegram", "webhook"}, "no e-mail receiver without SMTP"
    tree = notify.policy_tree(notify.file_recipients(no_smtp))
    assert tree is not None and tree["receiver"] == notify.DUTY_OFFICERS
    only_mail = AlertingSettings(email_to="ops@example.org", smtp_host="smtp:25")
    tree = notify.policy_tree(notify.file_recipients(only_mail))
    assert tree is not None and tree["routes"][0]["receiver"] == notify.OPERATIONS


def test_file_provisioning_holds_references_not_secrets() -> None:
    document = alerting_file(notify.file_recipients(CONFIGURED))
    text = repr(document)
    assert "not-in-any-file" not in text
    receivers = {
        r["type"]: r["settings"] for p in document["contactPoints"] for r in p["receivers"]
    }
    assert receivers["telegram"]["bottoken"] == "$__file{/run/secrets/telegram_bot_token}"
    assert receivers["webhook"]["authorization_credentials"] == (
        "$__env{CITYOPS_ALERTING__WEBHOOK_TOKEN}"
    )
    assert all(notify.MESSAGE in s["message"] for s in receivers.values())
    assert [t["name"] for t in document["templates"]] == [notify.TEMPLATE_NAME]
    assert sum(len(g["rules"]) for g in document["groups"]) == len(RULES)
    api = notify.api_recipients(CONFIGURED.model_copy(update={"telegram_bot_token_path": ""}))
    assert api.webhook_token == "not-in-any-file", "the API path sends the value itself"


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
    page = file_rules[pages.PAGE.uid]
    assert page["labels"]["severity"] == "{{ $$labels.severity }}"
    assert api_rules[pages.PAGE.uid]["labels"]["severity"] == "{{ $labels.severity }}"
    assert "{{ $labels.agency }}" in page["annotations"]["summary"]  # not expanded
    for rule in file_rules.values():
        for value in rule["labels"].values():
            assert "$" not in value.replace("$$", ""), rule["uid"]


def test_templates_are_balanced() -> None:
    """Every `if` has its `end` and every `define` its own, or Grafana rejects the text."""
    texts = [notify.TEMPLATE]
    for rule in RULES:
        texts += [rule.summary, rule.description, rule.link]
    for text in texts:
        opened = len(re.findall(r"\{\{-? *(?:if|range|define) ", text))
        assert opened == len(re.findall(r"\{\{-? *end *-?\}\}", text)), text[:80]
