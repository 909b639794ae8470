"""The cluster form of a migration: the same statements, rewritten for replicated ClickHouse.

Migrations are written once, for one server. With `clickhouse.cluster` set, every statement
is rewritten here before it runs, so a migration another change adds needs no replicated
copy: DDL gets `ON CLUSTER` (every replica creates, alters or drops the object), and each
`*MergeTree` engine, a materialized view's inner engine included, becomes its `Replicated`
form with a ZooKeeper path built from the database and table (one path per table, the
`{shard}`/`{replica}` macros filled in by each server from its own config).

The rewrite works on the rendered text of the statement kinds the migrations use; a
MergeTree engine it cannot rewrite fails the migration instead of creating a table that
silently lives on one replica only.
"""

from __future__ import annotations

import re

from cityops.db.sqltext import identifier

#: Where replicated tables keep their coordination state; `{shard}` is a server macro.
ZOOKEEPER_PATH = "/clickhouse/tables/{{shard}}/{database}/{table}"
#: A materialized view without `TO` stores into an inner table, replicated under this name.
INNER_SUFFIX = ".inner"

_NAME = r"(?:`[^`]+`|\w+)(?:\.(?:`[^`]+`|\w+))?"
#: The head of each DDL kind the migrations use, up to and including the object's name.
_DDL_HEAD = re.compile(
    r"^\s*(?P<head>(?:CREATE\s+(?:DATABASE|TABLE|VIEW|MATERIALIZED\s+VIEW)"
    r"|DROP\s+(?:DATABASE|TABLE|VIEW)|ALTER\s+TABLE)"
    r"(?:\s+IF\s+(?:NOT\s+)?EXISTS)?\s+)(?P<name>" + _NAME + r")",
    re.IGNORECASE,
)
_RENAME = re.compile(r"^\s*RENAME\s+TABLE\s", re.IGNORECASE)
_ON_CLUSTER = re.compile(r"\bON\s+CLUSTER\b", re.IGNORECASE)
_MATERIALIZED = re.compile(r"^\s*CREATE\s+MATERIALIZED\s+VIEW\b", re.IGNORECASE)
_MERGE_TREE = re.compile(r"\bENGINE\s*=\s*(?P<kind>\w*?)MergeTree\s*\((?P<args>[^()]*)\)")
_ANY_MERGE_TREE = re.compile(r"\bENGINE\s*=\s*\w*MergeTree\b")


class ClusterRewriteError(ValueError):
    """A statement has a MergeTree engine this rewrite does not understand."""


def zookeeper_path(qualified_name: str, suffix: str = "") -> str:
    """The replication path of `database.table` (+ `suffix`), unique per table across
    databases."""
    database, _, table = qualified_name.replace("`", "").rpartition(".")
    return ZOOKEEPER_PATH.format(database=database or "default", table=table + suffix)


def _replicated_engine(statement: str, table: str, suffix: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind = match.group("kind")
        if kind.startswith("Replicated"):
            return match.group(0)
        args = [f"'{zookeeper_path(table, suffix)}'", "'{replica}'"]
        if match.group("args").strip():
            args.append(match.group("args").strip())
        return f"ENGINE = Replicated{kind}MergeTree({', '.join(args)})"

    rewritten, count = _MERGE_TREE.subn(replace, statement)
    if count != len(_ANY_MERGE_TREE.findall(statement)):
        raise ClusterRewriteError(f"cannot rewrite the engine of {table} for a cluster")
    return rewritten


def for_cluster(statement: str, cluster: str) -> str:
    """`statement` as run on `cluster`; statements other than DDL (INSERT, SELECT, TRUNCATE,
    which a replicated table replicates by itself) pass unchanged. A RENAME (migration 021
    moves tables between databases) runs on every replica."""
    if _ON_CLUSTER.search(statement):
        return statement
    if _RENAME.match(statement):
        # A replicated table keeps its replication path under its new name: no engine change.
        return f"{statement.rstrip()} ON CLUSTER {identifier(cluster)}"
    match = _DDL_HEAD.match(statement)
    if match is None:
        return statement
    name = match.group("name")
    suffix = INNER_SUFFIX if _MATERIALIZED.match(statement) else ""
    head = statement[: match.end()] + f" ON CLUSTER {identifier(cluster)}"
    return head + _replicated_engine(statement[match.end() :], name, suffix)
