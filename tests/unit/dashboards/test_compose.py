"""deploy/compose cannot run here (no Docker); these checks catch what would break `up`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cityops.settings import AlertingSettings
from dashboards import defaults as d
from dashboards.provisioning import DASHBOARDS_PATH, RENDER_PATH
from dashboards.render import rendered_files

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO / "deploy/compose/docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def _host_path(spec: str) -> Path | None:
    """The host side of a `host:container[:mode]` bind mount; None for a named volume."""
    source = spec.split(":", 1)[0]
    if not source.startswith((".", "/")):
        return None
    return (COMPOSE_FILE.parent / source).resolve()


def test_every_image_is_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image")
        if "build" in service:
            continue  # built from this checkout
        assert image, f"{name} has neither image nor build"
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.fullmatch(r"\d+(\.\d+){1,3}", tag), f"{name}: {image} needs a version tag"


def test_every_mounted_and_built_path_exists() -> None:
    for name, service in SERVICES.items():
        for spec in service.get("volumes", []):
            path = _host_path(spec)
            if path is not None:
                assert path.exists(), f"{name} mounts missing {path}"
        if "build" in service:
            context = (COMPOSE_FILE.parent / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), name


def test_dockerfile_copies_only_what_exists() -> None:
    dockerfile = (REPO / "deploy/compose/Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", dockerfile, re.M)
    assert base and not base.group(1).endswith(":latest")
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def test_grafana_image_bakes_the_pinned_plugin() -> None:
    """Sites without internet load the image; nothing is downloaded when Grafana starts."""
    grafana = SERVICES["grafana"]
    assert "GF_INSTALL_PLUGINS" not in grafana["environment"]
    dockerfile = (COMPOSE_FILE.parent / grafana["build"]["context"]) / grafana["build"][
        "dockerfile"
    ]
    text = dockerfile.read_text(encoding="utf-8")
    assert f"ARG GRAFANA_VERSION={d.GRAFANA_VERSION}" in text
    assert f"ARG PLUGIN_VERSION={d.PLUGIN_VERSION}" in text
    assert "plugins install" in text and d.DATASOURCE_TYPE in text
    assert grafana["build"]["args"] == {
        "GRAFANA_VERSION": d.GRAFANA_VERSION,
        "PLUGIN_VERSION": d.PLUGIN_VERSION,
    }
    assert d.GRAFANA_VERSION.startswith("11.6."), "the dashboards are validated against 11.6"


def test_grafana_reads_what_render_writes_at_start() -> None:
    config = SERVICES["grafana-config"]
    assert config["command"][:2] == ["dashboards", "render"]
    out = config["command"][config["command"].index("--out") + 1]
    volume = next(v for v in config["volumes"] if v.endswith(f":{out}")).split(":")[0]
    grafana = SERVICES["grafana"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    assert mounted[RENDER_PATH] == volume
    env = grafana["environment"]
    assert env["GF_PATHS_PROVISIONING"] == f"{RENDER_PATH}/provisioning"
    assert env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].startswith(DASHBOARDS_PATH)
    assert grafana["depends_on"]["grafana-config"] == {
        "condition": "service_completed_successfully"
    }


def test_the_wall_is_reachable_without_an_admin_login() -> None:
    grafana = SERVICES["grafana"]
    env = grafana["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_SERVER_ROOT_URL"].startswith("${GRAFANA_ROOT_URL")
    assert not any(str(p).startswith("127.0.0.1:") for p in grafana["ports"])


def test_every_placeholder_in_provisioning_is_set_for_grafana() -> None:
    env = SERVICES["grafana"]["environment"]
    channels = AlertingSettings(
        telegram_chat_id="-1",
        telegram_bot_token_path="/run/secrets/bot",
        webhook_url="https://x.example",
        webhook_token="t",
    )
    rendered = rendered_files(channels)
    for path, content in rendered.items():
        if path.suffix != ".yaml":
            continue
        for name in re.findall(r"\$(?:\{|__env\{)(\w+)\}", content):
            assert name in env, f"{path} needs {name} in grafana's environment"
    assert "$__env{CITYOPS_ALERTING__WEBHOOK_TOKEN}" in "".join(rendered.values())
    config_env = SERVICES["grafana-config"]["environment"]
    for field in AlertingSettings.model_fields:
        if field != "smtp_host":  # compose names it CITYOPS_SMTP_HOST, shared with Grafana
            assert f"CITYOPS_ALERTING__{field.upper()}" in config_env, field
    assert config_env["CITYOPS_ALERTING__SMTP_HOST"] == env["GF_SMTP_HOST"]


@pytest.mark.parametrize("service", ["migrate", "kafka-init", "worker", "simulator"])
def test_pipeline_services_run_cityops_commands(service: str) -> None:
    from typer.main import get_command

    from cityops.cli.main import app

    command = SERVICES[service]["command"]
    cli = get_command(app)
    assert command[0] in cli.commands, f"{service}: `cityops {command[0]}` does not exist"  # type: ignore[attr-defined]


def test_grafana_reaches_clickhouse_through_the_rendered_balancer() -> None:
    """The datasource names the proxy, the proxy runs the config grafana-config renders, and
    that render's servers are the ones the pipeline's settings name."""
    from dashboards.clickhouse_proxy import CONFIG_PATH, LISTEN_PORT
    from dashboards.provisioning import ClickHouseTarget
    from dashboards.render import COMPOSE_CLICKHOUSE

    proxy = SERVICES["clickhouse-proxy"]
    grafana = SERVICES["grafana"]
    assert grafana["environment"]["CITYOPS_CLICKHOUSE_HOST"] == "clickhouse-proxy"
    assert ClickHouseTarget().port == LISTEN_PORT
    assert grafana["depends_on"]["clickhouse-proxy"] == {"condition": "service_started"}
    config_volume = next(v for v in SERVICES["grafana-config"]["volumes"]).split(":")[0]
    assert f"{config_volume}:{RENDER_PATH}:ro" in proxy["volumes"]
    assert proxy["command"] == ["haproxy", "-f", f"{RENDER_PATH}/{CONFIG_PATH}"]
    assert proxy["depends_on"]["grafana-config"] == {"condition": "service_completed_successfully"}
    env = SERVICES["grafana-config"]["environment"]
    assert env["CITYOPS_CLICKHOUSE__HOST"] == COMPOSE_CLICKHOUSE.host
    assert int(env["CITYOPS_CLICKHOUSE__PORT"]) == COMPOSE_CLICKHOUSE.port
