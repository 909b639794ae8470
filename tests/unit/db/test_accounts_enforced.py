"""The accounts of `cityops db accounts`, enforced by current ClickHouse (chdb: embedded
ClickHouse 26.x), each query run as the account: what each may do works, the rest is refused
by the engine, the issue's `url()` and `remote()` probes included.

chdb cannot hold SQL-defined users and runs every query as `default` (see
tests/support/chdb_accounts.py), so each account is a child process whose `default` carries
that account's GRANT statements verbatim from `access_sql` and its settings profile as the
`CREATE SETTINGS PROFILE` statement states it (values, CONST and MAX constraints). What this
does not prove: the `CREATE USER` statements themselves (their SQL is checked to parse in
test_accounts_sql.py), host restrictions and passwords (no network in chdb), and the reader
kept out of `system.processes` and the rest of `system`: clickhouse-local ignores the
server's `access_control_improvements` (compose's `select_from_system_db_requires_grant`),
so every `system` table is readable here whatever the grants.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import SecretStr

from cityops.db.accounts import (
    READER_LIMITS,
    READER_MAX_EXECUTION_TIME_CAP,
    access_sql,
    view_security_sql,
)
from cityops.db.tables import (
    AGGREGATES,
    DEADLETTERS,
    DOSSIER_EVENTS,
    REF_AGENCIES,
    SCHEMA_MIGRATIONS,
    VIEWS,
    qualified,
)
from cityops.settings import ClickHouseSettings
from tests.conftest import REPO_ROOT

SETTINGS = ClickHouseSettings(
    database="cityops",
    password=SecretStr("w" * 20),
    reader_password=SecretStr("r" * 20),
    migrator_password=SecretStr("m" * 20),
)
STATEMENTS = access_sql(SETTINGS)
DB = SETTINGS.database
ACCESS_XML = REPO_ROOT / "deploy/compose/clickhouse/config.d/cityops-access.xml"
PROFILE = re.compile(r"CREATE SETTINGS PROFILE OR REPLACE (\w+) SETTINGS (.*)")
SETTING = re.compile(r"(\w+) = ('[^']*'|\d+)(?: (CONST)| MIN (\d+) MAX (\d+))?")


def _profile_xml(statement: str) -> ET.Element:
    """A `CREATE SETTINGS PROFILE` statement as the users file states a profile."""
    match = PROFILE.fullmatch(statement)
    assert match, statement
    profile, constraints = ET.Element(match.group(1)), ET.Element("constraints")
    for item in match.group(2).split(", "):
        setting = SETTING.fullmatch(item)
        assert setting, item  # a form this translation does not know: extend it
        name, value, const, minimum, maximum = setting.groups()
        ET.SubElement(profile, name).text = value.strip("'")
        if const:
            ET.SubElement(ET.SubElement(constraints, name), "const")
        elif maximum:
            bounds = ET.SubElement(constraints, name)
            ET.SubElement(bounds, "min").text = minimum
            ET.SubElement(bounds, "max").text = maximum
    profile.append(constraints)
    return profile


def _user_xml(name: str, account: str, *, admin: bool = False) -> ET.Element:
    """`account`'s profile and grants (verbatim, `TO account` dropped) under `name`."""
    created = next(s for s in STATEMENTS if s.startswith(f"CREATE USER OR REPLACE {account} "))
    user = ET.Element(name)
    ET.SubElement(user, "password").text = ""
    ET.SubElement(user, "profile").text = created.rsplit("SETTINGS PROFILE ", 1)[1].strip("'")
    ET.SubElement(user, "quota").text = "default"
    if admin:  # no <grants>: a users-file user may do everything
        ET.SubElement(user, "access_management").text = "1"
        return user
    grants = ET.SubElement(user, "grants")
    for statement in STATEMENTS:
        if statement.startswith("GRANT ") and statement.endswith(f" TO {account}"):
            ET.SubElement(grants, "query").text = statement.removesuffix(f" TO {account}")
    return user


def _config(folder: Path, account: str, *, admin: bool = False) -> Path:
    """A clickhouse-local config whose `default` is `account`; the migrator also exists under
    its own name, as the definer the views read with."""
    users = ET.Element("clickhouse")
    profiles = ET.SubElement(users, "profiles")
    profiles.extend(_profile_xml(s) for s in STATEMENTS if s.startswith("CREATE SETTINGS"))
    ET.SubElement(profiles, "default")
    accounts = ET.SubElement(users, "users")
    accounts.append(_user_xml("default", account, admin=admin))
    accounts.append(_user_xml(SETTINGS.migrator_user, SETTINGS.migrator_user))
    ET.SubElement(ET.SubElement(users, "quotas"), "default")
    users_file = folder / f"{account}-users.xml"
    users_file.write_bytes(ET.tostring(users))
    config = ET.Element("clickhouse")
    ET.SubElement(config, "users_config").text = str(users_file)
    config.extend(ET.parse(ACCESS_XML).getroot())
    path = folder / f"{account}.xml"
    path.write_bytes(ET.tostring(config))
    return path


def _run(folder: Path, account: str, queries: list[str], **job: object) -> list[list[str]]:
    config = _config(folder, account, admin=bool(job.pop("admin", False)))
    job_file = folder / f"{account}-job.json"
    job_file.write_text(json.dumps({**job, "queries": queries}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.chdb_accounts", str(config), str(folder / "data"),
         str(job_file)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The schema migrated by an administrator, its views switched to read as the migrator
    (what `cityops db accounts` does); returns the folder and a column the writer can fill."""
    folder = tmp_path_factory.mktemp("chdb-accounts")
    queries = view_security_sql(SETTINGS, set(VIEWS))
    # The materialized views read with their creator's rights: the migrator's in a deployment
    # (it runs the migrations), here the administrator's `default`, which is another account
    # in the next processes.
    queries += [
        f"ALTER TABLE {qualified(a.view, DB)} MODIFY SQL SECURITY DEFINER "
        f"DEFINER = {SETTINGS.migrator_user}"
        for a in AGGREGATES
    ]
    queries.append(
        f"SELECT name, type FROM system.columns WHERE database = '{DB}' "
        f"AND table = '{DEADLETTERS.name}' ORDER BY position LIMIT 1"
    )
    answers = _run(folder, SETTINGS.migrator_user, queries, migrate=DB, admin=True)
    assert all(status == "ok" for status, _ in answers), answers
    column, type_ = answers[-1][1].strip().split("\t")
    return (
        folder,
        f"INSERT INTO {DEAD} ({column}) SELECT defaultValueOfTypeName('{type_}')",
    )


Probe = tuple[str, str, str]  # the query, "ok" or "refused", a phrase of the answer


def _probe(folder: Path, account: str, probes: list[Probe]) -> None:
    """Run every probe as `account`; each must be answered as expected."""
    answers = _run(folder, account, [query for query, _, _ in probes])
    for (status, text), (query, want, phrase) in zip(answers, probes, strict=True):
        assert status == want and phrase in text, f"{query}: {status} {text}"


URL = "SELECT * FROM url('http://127.0.0.1:9/', CSV, 'x String')"
REFERENCE = qualified(REF_AGENCIES.name, DB)
COPY_REFERENCE = f"INSERT INTO {REFERENCE} SELECT * FROM {REFERENCE}"
TOO_MUCH_MEMORY = f"SELECT 1 SETTINGS max_memory_usage = {READER_LIMITS['max_memory_usage'] + 1}"
ABOVE = "shouldn't be greater"
LIMITS = list(READER_LIMITS)
DEAD = qualified(DEADLETTERS.name, DB)
RAW = qualified(DOSSIER_EVENTS.name, DB)
REMOTE = f"SELECT * FROM remote('127.0.0.1:9000', {DEAD}, 'default', '')"
DENIED = "Not enough privileges"


def test_the_reader_reads_the_views_and_nothing_else(schema: tuple[Path, str]) -> None:
    folder, _ = schema
    cap = READER_MAX_EXECUTION_TIME_CAP
    probes: list[Probe] = [
        *((f"SELECT count() FROM {qualified(view, DB)}", "ok", "") for view in VIEWS),
        ("SELECT count() FROM system.tables", "ok", ""),
        (f"SELECT 1 SETTINGS max_execution_time = {cap - 1}", "ok", ""),  # Grafana's plugin
        (f"SELECT count() FROM {DEAD}", "refused", DENIED),
        (f"SELECT count() FROM {RAW}", "refused", DENIED),
        (URL, "refused", "READ ON URL"),
        (REMOTE, "refused", "READ ON REMOTE"),
        ("SELECT * FROM file('/etc/passwd', LineAsString)", "refused", "READ ON FILE"),
        ("CREATE TEMPORARY TABLE t (x UInt8)", "refused", DENIED),
        (COPY_REFERENCE, "refused", DENIED),
        ("SET readonly = 0", "refused", "readonly"),
        (TOO_MUCH_MEMORY, "refused", ABOVE),
        (f"SELECT 1 SETTINGS max_execution_time = {cap + 1}", "refused", ABOVE),
        # 0 turns a limit off: each has a floor of 1.
        *((f"SELECT 1 SETTINGS {name} = 0", "refused", "shouldn't be less") for name in LIMITS),
    ]  # fmt: skip
    _probe(folder, SETTINGS.reader_user, probes)


def test_the_writer_inserts_into_worker_tables_only(schema: tuple[Path, str]) -> None:
    folder, insert = schema
    probes: list[Probe] = [
        (insert, "ok", ""),
        (f"SELECT count() FROM {qualified(SCHEMA_MIGRATIONS, DB)}", "ok", ""),
        (f"SELECT count() FROM {DEAD}", "refused", DENIED),
        (COPY_REFERENCE, "refused", DENIED),
        (f"CREATE TABLE {DB}.planted (x UInt8) ENGINE = Memory", "refused", ""),
        (f"TRUNCATE TABLE {DEAD}", "refused", ""),
        (f"DROP TABLE {RAW}", "refused", ""),
        (URL, "refused", "READ ON URL"),
        (REMOTE, "refused", "READ ON REMOTE"),
        ("SELECT 1 SETTINGS allow_ddl = 1", "refused", "allow_ddl"),
    ]  # fmt: skip
    _probe(folder, SETTINGS.user, probes)


def test_the_migrator_owns_its_database_and_nothing_more(schema: tuple[Path, str]) -> None:
    folder, _ = schema
    probes: list[Probe] = [
        (f"CREATE TABLE {DB}.scratch (x UInt8) ENGINE = MergeTree ORDER BY x", "ok", ""),
        (f"DROP TABLE {DB}.scratch", "ok", ""),
        (f"SELECT count() FROM {DEAD}", "ok", ""),
        ("CREATE DATABASE elsewhere", "refused", DENIED),
        (URL, "refused", "READ ON URL"),
    ]
    _probe(folder, SETTINGS.migrator_user, probes)
