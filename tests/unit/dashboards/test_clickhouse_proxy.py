"""The balancer in front of Grafana's datasource, rendered from `clickhouse.host`: every
server in settings order, checked on ClickHouse's /replicas_status, with a fallback to any
live one. (tests/faults/test_grafana_failover.py runs it in front of two real replicas.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cityops.cli.main import app
from cityops.settings import ClickHouseSettings
from dashboards.clickhouse_proxy import (
    ANY,
    CONFIG_PATH,
    IN_SYNC,
    LISTEN_PORT,
    Replica,
    haproxy_config,
    replicas,
)
from dashboards.render import COMPOSE_CLICKHOUSE, rendered_files


def _sections(config: str) -> dict[str, list[str]]:
    """`frontend x` / `backend y` -> their directive lines (comments dropped)."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in config.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            current.append(line.strip())
        else:
            current = sections.setdefault(line.strip(), [])
    return sections


def _servers(lines: list[str]) -> list[list[str]]:
    return [line.split()[1:] for line in lines if line.startswith("server ")]


def test_replicas_follow_the_sinks_order_and_the_http_port() -> None:
    settings = ClickHouseSettings(host="ch-1:9000, ch-2, ch-3:9440", port=9001, http_port=8124)
    assert replicas(settings) == [
        Replica("ch-1", 9000, 8124),
        Replica("ch-2", 9001, 8124),
        Replica("ch-3", 9440, 8124),
    ]


def test_config_prefers_current_replicas_in_order_and_falls_back_to_any() -> None:
    config = haproxy_config([Replica("ch-1", 9000, 8123), Replica("ch-2", 9000, 8124)])
    sections = _sections(config)
    frontend = sections["frontend clickhouse"]
    assert f"bind :{LISTEN_PORT}" in frontend
    assert f"default_backend {IN_SYNC}" in frontend
    assert f"use_backend {ANY} if {{ nbsrv({IN_SYNC}) eq 0 }}" in frontend
    in_sync, fallback = sections[f"backend {IN_SYNC}"], sections[f"backend {ANY}"]
    assert "http-check send meth GET uri /replicas_status" in in_sync
    assert _servers(in_sync) == [
        ["replica-1", "ch-1:9000", "check", "port", "8123"],
        ["replica-2", "ch-2:9000", "check", "port", "8124"],
    ]
    assert not any("http-check" in line for line in fallback)
    assert _servers(fallback) == [
        ["replica-1", "ch-1:9000", "check"],
        ["replica-2", "ch-2:9000", "check"],
    ]
    for backend in (in_sync, fallback):
        # The first server that is up takes every connection, as in the sink's order; a
        # refused connection takes the server out at once and is retried on the next.
        assert "balance first" in backend
        assert any("on-error mark-down" in line for line in backend)
    assert "option redispatch 1" in sections["defaults"]
    assert "mode tcp" in sections["defaults"]


def test_no_server_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        haproxy_config([])


def test_committed_copy_is_rendered_for_composes_server() -> None:
    config = rendered_files()[CONFIG_PATH]
    assert _servers(_sections(config)[f"backend {IN_SYNC}"]) == [
        ["replica-1", f"{COMPOSE_CLICKHOUSE.host}:9000", "check", "port", "8123"]
    ]


def test_render_writes_the_configured_replicas(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__HOST", "ch-a:9000,ch-b:9000")
    result = CliRunner().invoke(app, ["dashboards", "render", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    config = (tmp_path / CONFIG_PATH).read_text(encoding="utf-8")
    for backend in (IN_SYNC, ANY):
        hosts = [server[1] for server in _servers(_sections(config)[f"backend {backend}"])]
        assert hosts == ["ch-a:9000", "ch-b:9000"]
