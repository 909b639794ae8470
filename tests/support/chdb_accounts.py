"""Run SQL in embedded current ClickHouse (chdb) as one account, in a child process.

clickhouse-local, which chdb embeds, keeps no SQL-defined users (no writable access storage)
and runs every query as `default`, whatever the connection names; its users come from the
users file given at start. So a child process per account: `default` is defined in its users
file with that account's settings profile and its GRANT statements, verbatim from
`cityops db accounts` (tests/unit/db/test_accounts_enforced.py builds the files), and the
queries run as it. One process per account also because chdb runs one engine per process.

    python -m tests.support.chdb_accounts CONFIG.xml DATA_DIR JOB.json
JOB: {"migrate": database or null, "queries": [sql, ...]}; prints one JSON list of
["ok", first rows] or ["refused", the server's message] per query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run(config: Path, data: Path, job: dict[str, object]) -> list[list[str]]:
    import chdb

    from cityops.db import migrate
    from tests.integration.db.conftest import ChdbClient

    connection = chdb.connect(f"file:{data}?config-file={config}")
    try:
        database = job.get("migrate")
        if isinstance(database, str):
            migrate.migrate(ChdbClient(connection), database)
        answers = []
        for query in job.get("queries") or []:
            try:
                result = connection.query(str(query), "TSV")
                answers.append(["ok", result.bytes().decode()[:500] if result else ""])
            except Exception as exc:  # the server's refusal, as the account sees it
                answers.append(["refused", str(exc).splitlines()[0]])
        return answers
    finally:
        connection.close()


if __name__ == "__main__":
    config, data, job = sys.argv[1:4]
    answers = run(Path(config), Path(data), json.loads(Path(job).read_text(encoding="utf-8")))
    print(json.dumps(answers))
