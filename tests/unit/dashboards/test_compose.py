"""deploy/compose cannot run here (no Docker); these checks catch what would break `up`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import defaults as d
from dashboards.provisioning import DASHBOARDS_PATH
from dashboards.render import COMPOSE_DIR, rendered_files

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


def test_grafana_gets_the_plugin_and_the_rendered_provisioning() -> None:
    grafana = SERVICES["grafana"]
    plugin = grafana["environment"]["GF_INSTALL_PLUGINS"]
    assert plugin == f"{d.DATASOURCE_TYPE} {d.PLUGIN_VERSION}"
    assert grafana["image"].endswith(f":{d.GRAFANA_VERSION}")
    targets = {spec.split(":")[1]: _host_path(spec) for spec in grafana["volumes"]}
    assert targets["/etc/grafana/provisioning"] == (REPO / COMPOSE_DIR / "provisioning")
    assert targets[DASHBOARDS_PATH] == (REPO / COMPOSE_DIR / "dashboards")


def test_every_placeholder_in_provisioning_is_set_for_grafana() -> None:
    env = SERVICES["grafana"]["environment"]
    for path, content in rendered_files().items():
        if path.suffix != ".yaml":
            continue
        for name in re.findall(r"\$\{(\w+)\}", content):
            assert name in env, f"{path} needs {name} in grafana's environment"


@pytest.mark.parametrize("service", ["migrate", "kafka-init", "worker", "simulator"])
def test_pipeline_services_run_cityops_commands(service: str) -> None:
    from typer.main import get_command

    from cityops.cli.main import app

    command = SERVICES[service]["command"]
    cli = get_command(app)
    assert command[0] in cli.commands, f"{service}: `cityops {command[0]}` does not exist"  # type: ignore[attr-defined]
