"""`cityops connectors import`: push a file through a connector, with progress and a summary.

A backfill can be millions of rows; the importer commits its row number every batch (after
Kafka acknowledged the batch), so an interrupted import resumes where it stopped instead of
starting over, and a changed file starts over instead of skipping rows it never read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cityops.contract import DEADLETTER
from cityops.kafka_topics import ensure_topics
from connectors.adapters.file.readers import RowProblem, count_rows, iter_rows
from connectors.sdk.checkpoint import CheckpointStore
from connectors.sdk.connector import Connector
from connectors.sdk.metrics import reason_kind


@dataclass
class ImportSummary:
    path: str
    published: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    #: Rows skipped because an earlier run of the same file had already committed them.
    skipped: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def table(self) -> Table:
        table = Table("outcome", "rows", title=f"import of {self.path}")
        table.add_row("published", str(self.published))
        for kind, count in sorted(self.rejected.items()):
            table.add_row(f"dead-lettered: {kind}", str(count))
        if self.skipped:
            table.add_row("skipped (already imported)", str(self.skipped))
        return table


def _file_identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def import_file(
    connector: Connector,
    path: Path,
    *,
    resume: bool = True,
    batch_size: int = 1000,
    console: Console | None = None,
    create_topics: bool = True,
    encoding: str = "utf-8",
) -> ImportSummary:
    """Publish every row of `path` through `connector.handle`; bad rows are dead-lettered.

    Raises FileProblem (a ValueError, one line) when the file cannot be read (on); the rows
    read before that stay published or dead-lettered, and acknowledged.
    """
    store = CheckpointStore(
        connector.settings.state_dir, f"{connector.name}-import", connector.config.source
    )
    identity = _file_identity(path)
    saved = store.load() if resume else None
    start_row = saved["row"] if saved and {k: saved.get(k) for k in identity} == identity else 0
    summary = ImportSummary(str(path), skipped=start_row)
    total = count_rows(path, encoding=encoding)  # first: a file it cannot read fails fast
    if create_topics:
        ensure_topics(connector.settings.kafka, [connector.topic, DEADLETTER])
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        disable=console is None,
        transient=False,
    )
    row = 0
    with progress:
        task = progress.add_task(f"{connector.name} <- {path.name}", total=total)
        try:
            for row, record in enumerate(iter_rows(path, encoding=encoding), start=1):
                if row <= start_row:
                    progress.advance(task)
                    continue
                if isinstance(record, RowProblem):
                    outcome = connector.reject(record.original, f"{record.reason} (row {row})")
                else:
                    outcome = connector.handle(record)
                if outcome.reason:
                    summary.rejected[reason_kind(outcome.reason)] += 1
                else:
                    summary.published += 1
                progress.advance(task)
                if row % batch_size == 0:
                    connector.publisher.flush()  # acknowledged first, then the row is committed
                    store.save({**identity, "row": row})
        finally:
            # Also when the file breaks half way: what was read stays imported, once.
            connector.publisher.flush()
            store.save({**identity, "row": max(row, start_row)})
    return summary
