"""SQL templates: the numbered migrations and the view definitions are written with `{names}`.

Names come from `cityops.db.tables.template_names`, so a table is renamed in one place and a
misspelt name fails before any SQL runs.
"""

from __future__ import annotations

from cityops.db.sqltext import identifier
from cityops.db.tables import template_names


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema's history."""


def render(text: str, database: str, label: str = "sql") -> str:
    """Fill a template's `{names}`; an unknown name fails loudly instead of reaching SQL."""
    try:
        return text.format_map(template_names(identifier(database)))
    except KeyError as exc:
        raise MigrationError(f"{label}: unknown template name {exc}") from exc


def split_statements(sql: str) -> list[str]:
    """Statements of a file: `--` comment lines dropped, split on `;`, empty ones skipped."""
    kept = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(kept).split(";") if s.strip()]
