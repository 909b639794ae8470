"""The two databases of a deployment: the main one and the reader's own.

ClickHouse 18.16 grants by database (`allow_databases`), not by table, and refuses a view
whose query reads a database the user may not open. So the reader's database holds the
read-API views and everything they read (aggregates, open dossiers, alerts, reference data,
the pipeline's health samples), none of it personal data in the clear; the main database
keeps the raw facts (events, `dossier_state`, dead letters) and the schema's bookkeeping,
which the reader may not open. The reader's database is named after the main one
(`<database>_api`), so every database a test or a benchmark makes gets its own pair.
"""

from __future__ import annotations

from enum import Enum

#: Appended to the main database's name to name the reader's database.
API_SUFFIX = "_api"


class Home(Enum):
    """Which of the two databases a table or view lives in."""

    RAW = "raw"
    API = "api"


def api_database(database: str) -> str:
    """The reader's database paired with the main database `database`."""
    return f"{database}{API_SUFFIX}"


def home_database(home: Home, database: str) -> str:
    """The database `home` names, for the deployment whose main database is `database`."""
    return api_database(database) if home is Home.API else database
