"""deploy/compose takes every secret as a compose secret file (docs/operations.md, "Secrets"):
none in the environment, each service mounting only the files it reads (a missing file stops
`docker compose up`: the mount has no source)."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cityops.secretcheck import write_compose_secrets

COMPOSE_DIR = Path(__file__).resolve().parents[3] / "deploy/compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
SECRET_NAME = re.compile(r"PASSWORD|HASH_KEY|SECRET|TOKEN")
#: Optional notification channels and SMTP: empty means "not configured" (docs/dashboards.md).
OPTIONAL = re.compile(r"^(CITYOPS_ALERTING__|GF_SMTP_)")
MOUNTED = re.compile(r"/run/secrets/(\w+)")


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_no_secret_is_an_environment_value_only_a_mounted_file() -> None:
    checked = 0
    for name, service in COMPOSE["services"].items():
        mounted = set(service.get("secrets") or [])
        for var, value in _env(service).items():
            if not SECRET_NAME.search(var) or var.endswith("_USER") or var.endswith("_PATH"):
                continue
            if OPTIONAL.match(var):
                assert re.fullmatch(r"\$\{\w+:-\}", value), f"{name}: {var}={value}"
                continue
            checked += 1
            assert var.endswith("_FILE"), f"{name}: {var} must be a *_FILE, not a value"
            secret = MOUNTED.fullmatch(value)
            assert secret and secret.group(1) in mounted, f"{name}: {value} is not mounted"
    assert checked >= 10


def test_every_file_a_service_reads_is_mounted_and_every_secret_is_used() -> None:
    declared = set(COMPOSE["secrets"])
    used: set[str] = set()
    for name, service in COMPOSE["services"].items():
        mounted = set(service.get("secrets") or [])
        assert mounted <= declared, name
        used |= mounted
        text = yaml.safe_dump(service)
        for secret in MOUNTED.findall(text):
            assert secret in mounted, f"{name} reads /run/secrets/{secret} without mounting it"
    assert used == declared
    # The Kafka broker and its health check read passwords through DirectoryConfigProvider,
    # which compose must not interpolate (`$$`); Grafana's datasource reads the reader's file.
    kafka = _env(COMPOSE["services"]["kafka"])
    jaas = kafka["KAFKA_LISTENER_NAME_SASL___PLAINTEXT_PLAIN_SASL_JAAS_CONFIG"]
    assert jaas.count("$${dir:/run/secrets:") == 3 and 'password="$${dir' in jaas
    client = (COMPOSE_DIR / "kafka/admin-client.properties").read_text(encoding="utf-8")
    assert "${dir:/run/secrets:kafka_admin_password}" in client
    datasource = (COMPOSE_DIR / "grafana/provisioning/datasources/cityops.yaml").read_text()
    assert "$__file{/run/secrets/clickhouse_reader_password}" in datasource
    assert "clickhouse_reader_password" in COMPOSE["services"]["grafana"]["secrets"]


def test_every_cityops_process_runs_in_production_mode() -> None:
    for name, service in COMPOSE["services"].items():
        if service.get("build", {}).get("dockerfile") == "deploy/compose/Dockerfile":
            assert _env(service)["CITYOPS_ENV"] == "production", name
    assert "CITYOPS_ENV=production" in (COMPOSE_DIR / "Dockerfile").read_text(encoding="utf-8")


def test_the_secret_files_are_generated_once_each(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    shutil.copy(COMPOSE_FILE, compose)
    (tmp_path / "secrets").mkdir(mode=0o700)
    (tmp_path / "secrets" / "hash_key").write_text("kept")
    written = write_compose_secrets(compose)
    assert set(written) == set(COMPOSE["secrets"]) - {"hash_key"}
    assert (tmp_path / "secrets" / "hash_key").read_text() == "kept"
    values = {(tmp_path / "secrets" / name).read_text() for name in written}
    assert len(values) == len(written) and all(re.fullmatch(r"[0-9a-f]{64}", v) for v in values)
    mode = stat.S_IMODE((tmp_path / "secrets" / written[0]).stat().st_mode)
    assert mode == 0o444
    assert write_compose_secrets(compose) == []


def _compose_plugin() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="`docker compose` (the plugin) is not installed")
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    """`docker compose config` needs only the client. (Whether it, not only `up`, refuses a
    missing secret file depends on the plugin's version: not asserted.)"""
    for name in ("docker-compose.yml", "Dockerfile", "grafana.Dockerfile"):
        shutil.copy(COMPOSE_DIR / name, tmp_path / name)
    for folder in ("clickhouse", "kafka", "connectors", "grafana"):
        shutil.copytree(COMPOSE_DIR / folder, tmp_path / folder)
    compose = ["docker", "compose", "-f", str(tmp_path / "docker-compose.yml")]
    write_compose_secrets(tmp_path / "docker-compose.yml")
    valid = subprocess.run([*compose, "config", "--quiet"], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stderr
