"""The SQL access control for current ClickHouse (`cityops db accounts`), checked with the
embedded current ClickHouse (chdb): every statement parses, every setting exists, and each
account is granted exactly its job. chdb cannot log in as another user, so the refusals
themselves are proven on the local 18.16 server (tests/integration/db/test_accounts.py)."""

from __future__ import annotations

import json
import re

import chdb
import pytest
import yaml
from pydantic import SecretStr

from cityops.db.accounts import (
    MIGRATOR_SYSTEM_TABLES,
    READER_SYSTEM_TABLES,
    WORKER_TABLES,
    WRITER_SYSTEM_TABLES,
    access_sql,
    password_sha256,
    view_security_sql,
)
from cityops.db.localusers import render
from cityops.db.sqltext import literal
from cityops.db.tables import VIEWS, qualified
from cityops.secretcheck import MissingSecret
from cityops.settings import ClickHouseSettings

SETTINGS = ClickHouseSettings(
    database="cityops",
    password=SecretStr("w-secret"),
    reader_password=SecretStr("r-secret"),
    migrator_password=SecretStr("m-secret"),
    account_networks=["10.0.0.0/8", "127.0.0.1"],
)


def _scalar(sql: str) -> str:
    return str(chdb.query(sql, "TSVRaw")).strip()


def test_every_statement_parses_on_current_clickhouse() -> None:
    existing_views = view_security_sql(SETTINGS, set(VIEWS))
    assert len(existing_views) == len(VIEWS)
    assert view_security_sql(SETTINGS, {"dossier_events"}) == []
    for statement in access_sql(SETTINGS) + existing_views:
        assert _scalar(f"SELECT formatQuery({literal(statement)})"), statement


def test_every_setting_named_exists_on_current_clickhouse() -> None:
    named: set[str] = set()
    for statement in access_sql(SETTINGS):
        if statement.startswith("CREATE SETTINGS PROFILE"):
            body = statement.split(" SETTINGS ", 2)[2]
            named |= set(re.findall(r"(?:^|, )([a-z_]+) = ", body))
    assert {"readonly", "max_memory_usage", "default_normal_view_sql_security"} <= named
    quoted = ", ".join(literal(n) for n in sorted(named))
    known = _scalar(f"SELECT arrayStringConcat(groupArray(name), ',') FROM system.settings "
                    f"WHERE name IN ({quoted})")  # fmt: skip
    assert set(known.split(",")) == named


def test_each_account_is_granted_its_job_only() -> None:
    grants = [s for s in access_sql(SETTINGS) if s.startswith("GRANT")]
    by_user: dict[str, list[str]] = {}
    for grant in grants:
        what, user = grant.removeprefix("GRANT ").rsplit(" TO ", 1)
        by_user.setdefault(user, []).append(what)
    assert by_user["cityops_writer"] == [
        *(f"INSERT ON {qualified(t.name, 'cityops')}" for t in WORKER_TABLES),
        "SELECT ON cityops.schema_migrations",
        *(f"SELECT ON system.{t}" for t in WRITER_SYSTEM_TABLES),
    ]
    # The reader's database only (views and what they read), as 18.16's allow_databases.
    assert by_user["cityops_reader"] == [
        "SELECT ON cityops_api.*",
        *(f"SELECT ON system.{t}" for t in READER_SYSTEM_TABLES),
    ]
    assert "INSERT ON cityops.deadletters" in by_user["cityops_writer"]
    assert "INSERT ON cityops_api.alerts" in by_user["cityops_writer"]
    assert by_user["cityops_migrator"] == [
        "ALL ON cityops.*",
        "ALL ON cityops_api.*",
        *(f"SELECT ON system.{t}" for t in MIGRATOR_SYSTEM_TABLES),
    ]


def test_passwords_appear_only_hashed_and_hosts_are_the_settings() -> None:
    text = "\n".join(access_sql(SETTINGS))
    for secret in ("w-secret", "r-secret", "m-secret"):
        assert secret not in text
    assert text.count("HOST IP '10.0.0.0/8', IP '127.0.0.1'") == 3


def test_a_network_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        access_sql(SETTINGS.model_copy(update={"account_networks": ["everywhere"]}))


def test_local_users_template_is_filled_from_the_settings() -> None:
    from tests.conftest import REPO_ROOT

    template = (REPO_ROOT / "deploy/local/clickhouse/users.d/cityops.xml").read_text()
    xml = render(template, SETTINGS)
    assert "@" not in xml.replace("<!--", "").split("-->")[-1]
    assert "<readonly>1</readonly>" in xml and "<allow_ddl>0</allow_ddl>" in xml
    assert "r-secret" not in xml and password_sha256("r-secret") in xml
    # The local server serves this machine only, whatever the deployment's networks are.
    assert "<ip>127.0.0.1/32</ip>" in xml and "10.0.0.0" not in xml
    assert "<allow_databases><database>cityops_api</database></allow_databases>" in xml


def test_local_users_need_every_password_and_name_the_missing_one() -> None:
    from tests.conftest import REPO_ROOT

    template = (REPO_ROOT / "deploy/local/clickhouse/users.d/cityops.xml").read_text()
    with pytest.raises(MissingSecret) as missing:
        render(template, SETTINGS.model_copy(update={"reader_password": None}))
    assert str(missing.value).startswith("clickhouse.reader_password is not set: set ")
    assert "CITYOPS_CLICKHOUSE__READER_PASSWORD" in str(missing.value)


def test_compose_creates_the_accounts_before_migrating_with_no_default_password() -> None:
    from tests.conftest import REPO_ROOT

    compose = yaml.safe_load((REPO_ROOT / "deploy/compose/docker-compose.yml").read_text())
    services = compose["services"]
    assert services["accounts"]["command"][:2] == ["db", "accounts"]
    assert "accounts" in services["migrate"]["depends_on"]
    env = services["accounts"]["environment"]
    for key in ("PASSWORD", "READER_PASSWORD", "MIGRATOR_PASSWORD"):  # secret files, no default
        assert env[f"CITYOPS_CLICKHOUSE__{key}_FILE"].startswith("/run/secrets/"), key
    networks = json.loads(env["CITYOPS_CLICKHOUSE__ACCOUNT_NETWORKS"])
    subnet = compose["networks"]["cityops"]["ipam"]["config"][0]["subnet"]
    assert networks == [subnet]


def test_cli_prints_the_sql_without_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cityops.cli.main import app

    for name in ("PASSWORD", "READER_PASSWORD", "MIGRATOR_PASSWORD"):
        monkeypatch.setenv(f"CITYOPS_CLICKHOUSE__{name}", f"{name.lower()}-from-env")
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__READER_PASSWORD", "r-secret-from-env")
    result = CliRunner().invoke(app, ["db", "accounts", "--print"])
    assert result.exit_code == 0, result.output
    assert "CREATE USER OR REPLACE cityops_reader" in result.output
    assert "r-secret-from-env" not in result.output
