"""File adapter: backfill a connector from CSV, JSON Lines, JSON or Excel files."""

from connectors.adapters.file.importer import ImportSummary, import_file
from connectors.adapters.file.readers import (
    SUPPORTED_SUFFIXES,
    FileProblem,
    RowProblem,
    count_rows,
    iter_rows,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "FileProblem",
    "ImportSummary",
    "RowProblem",
    "count_rows",
    "import_file",
    "iter_rows",
]
