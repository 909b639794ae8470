"""Where a connector is in its source, kept in a small JSON file under `settings.state_dir`.

The file is replaced atomically (write a temp file, fsync, rename), so a crash leaves either
the old or the new position, never half of one. Callers save only after Kafka acknowledged
the events up to the position (see `Connector.commit`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


class CheckpointStore:
    def __init__(self, state_dir: Path, connector: str, instance: str) -> None:
        self.path = Path(state_dir) / "checkpoints" / f"{_safe(connector)}--{_safe(instance)}.json"

    def __repr__(self) -> str:
        return f"CheckpointStore({str(self.path)!r})"

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        if not isinstance(data, dict):
            raise ValueError(f"checkpoint {self.path} is not a JSON object")
        return data

    def save(self, position: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ckpt-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(position, handle, ensure_ascii=False, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
