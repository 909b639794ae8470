"""What every sub-command shares: settings from `--config`/env, and logging."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler

from cityops.contract import bounds
from cityops.secretcheck import InsecureSettings
from cityops.settings import Settings, load_settings

console = Console(stderr=True)

#: The settings the running command loaded: the entry point names their addresses when a
#: server turns out to be down (cityops/cli/main.py).
_loaded: list[Settings] = []

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML settings file (else $CITYOPS_CONFIG); env vars CITYOPS_* override it.",
        exists=True,
        dir_okay=False,
    ),
]


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            payload.update(extra)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def refuse_to_start(exc: InsecureSettings) -> NoReturn:
    """The one line naming the weak secret, and exit status 2 (a configuration error)."""
    console.print(f"[red]{exc}[/red]", highlight=False, soft_wrap=True)
    raise typer.Exit(2) from None


def setup(config: Path | None) -> Settings:
    """Load settings once and configure logging from them; call at the top of a command."""
    try:
        settings = load_settings(config)
    except InsecureSettings as exc:
        refuse_to_start(exc)
    bounds.configure(settings.contract.window())
    _loaded[:] = [settings]
    root = logging.getLogger()
    root.handlers.clear()
    if settings.log_json:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif console.is_terminal:
        handler = RichHandler(console=console, show_path=False, rich_tracebacks=True)
    else:  # a log file or a supervisor: one record, one line (rich wraps at 80 columns)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for noisy in ("kafka", "aiokafka", "faust", "mode", "clickhouse_driver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return settings


def loaded_settings() -> Settings:
    """The settings `setup` loaded, or the defaults and environment if it did not run."""
    return _loaded[0] if _loaded else load_settings()
