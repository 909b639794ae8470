"""Each Kafka role's grants come from the same topic specs as `kafka init` (streams/acls.py);
the broker enforcing them is tested in tests/integration/security/."""

from __future__ import annotations

from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.contract import ALL_TOPICS, DEADLETTER, SOURCE_TOPICS
from cityops.settings import KafkaSettings, Settings
from streams.acls import Grant, principal, role_grants
from streams.topics import build, internal_plans

SETTINGS = Settings(kafka=KafkaSettings(namespace="ns", connector_user="c", worker_user="w"))


def _covers(grants: list[Grant], who: str, topic: str, operation: str) -> bool:
    return any(
        g.principal == who
        and g.resource == "topic"
        and operation in g.operations
        and (topic.startswith(g.name) if g.prefixed else topic == g.name)
        for g in grants
    )


def test_connectors_may_only_write_their_topics() -> None:
    grants = [g for g in role_grants(SETTINGS) if g.principal == principal("c")]
    written = {spec.name("ns") for spec in (*SOURCE_TOPICS, DEADLETTER)}
    assert {g.name for g in grants} == written
    assert all(g.resource == "topic" and not g.prefixed for g in grants)
    assert {op for g in grants for op in g.operations} == {"WRITE", "DESCRIBE"}


def test_workers_read_the_contract_and_own_their_internal_topics_and_group() -> None:
    ctx = build(SETTINGS)
    grants = role_grants(SETTINGS, ctx)
    worker = principal("w")
    for spec in ALL_TOPICS:
        assert _covers(grants, worker, spec.name("ns"), "READ"), spec.base
    for plan in internal_plans(ctx):
        for operation in ("READ", "WRITE", "CREATE"):
            assert _covers(grants, worker, plan.name, operation), (plan.name, operation)
    groups = [g for g in grants if g.resource == "group"]
    assert [(g.principal, g.name) for g in groups] == [(worker, ctx.app.conf.id)]
    assert not _covers(grants, worker, SOURCE_TOPICS[0].name("ns"), "WRITE")
    assert all(g.principal in (worker, principal("c")) for g in grants)


def test_the_cli_prints_the_grants_without_a_broker() -> None:
    result = CliRunner().invoke(app, ["kafka", "acls", "--print"])
    assert result.exit_code == 0, result.output
    assert "User:cityops-connector: WRITE,DESCRIBE on topic cityops.payment.v1" in result.output
    assert "on group cityops-streams" in result.output
