"""The cluster form of the migrations, checked on every shipped file without a server."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from cityops.db.cluster import ClusterRewriteError, for_cluster, zookeeper_path
from cityops.db.migrate import Migration, discover
from cityops.settings import ClickHouseSettings

_DDL = re.compile(r"^\s*(CREATE|DROP|ALTER|RENAME)\b", re.IGNORECASE)
_CREATED = re.compile(r"^CREATE (?:TABLE|MATERIALIZED VIEW) (?:IF NOT EXISTS )?(\S+)")


@pytest.mark.parametrize("migration", discover(), ids=lambda m: f"{m.version:03d}_{m.name}")
def test_every_migration_has_a_cluster_form(migration: Migration) -> None:
    single = migration.statements("cityops")
    clustered = migration.statements("cityops", cluster="cityops")
    assert len(clustered) == len(single)
    for before, after in zip(single, clustered, strict=True):
        if not _DDL.match(before):
            assert after == before
            continue
        assert after.count(" ON CLUSTER cityops") == 1
        # No table is left to live on one replica only.
        assert not re.search(r"ENGINE\s*=\s*(?!Replicated)\w*MergeTree", after)
        paths = re.findall(r"ENGINE = Replicated\w*MergeTree\('([^']+)', '\{replica\}'", after)
        if paths:
            created = _CREATED.match(before)
            assert created is not None
            database, table = created.group(1).split(".")
            assert database in ("cityops", "cityops_api")
            assert paths[0] in (
                f"/clickhouse/tables/{{shard}}/{database}/{table}{s}" for s in ("", ".inner")
            )


def test_a_rename_runs_on_every_replica_with_its_engine_unchanged() -> None:
    statement = "RENAME TABLE cityops.alerts TO cityops_api.alerts"
    assert for_cluster(statement, "c1") == f"{statement} ON CLUSTER c1"


def test_engine_arguments_are_kept_after_the_path_and_replica() -> None:
    statement = (
        "CREATE TABLE IF NOT EXISTS db1.t (v UInt64) "
        "ENGINE = ReplacingMergeTree(version) ORDER BY v"
    )
    assert for_cluster(statement, "c1") == (
        "CREATE TABLE IF NOT EXISTS db1.t ON CLUSTER c1 (v UInt64) ENGINE = "
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db1/t', '{replica}', version) "
        "ORDER BY v"
    )


def test_a_materialized_views_inner_table_is_replicated_under_its_own_path() -> None:
    statement = (
        "CREATE MATERIALIZED VIEW db1.mv ENGINE = AggregatingMergeTree() ORDER BY k "
        "AS SELECT k, countState() AS n FROM db1.src GROUP BY k"
    )
    rewritten = for_cluster(statement, "c1")
    assert rewritten.startswith("CREATE MATERIALIZED VIEW db1.mv ON CLUSTER c1 ENGINE = ")
    assert "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/db1/mv.inner'" in rewritten
    # A view writing TO a table has no engine of its own: only ON CLUSTER is added.
    to_table = "CREATE MATERIALIZED VIEW db1.mv2 TO db1.agg AS SELECT k FROM db1.src"
    assert for_cluster(to_table, "c1") == (
        "CREATE MATERIALIZED VIEW db1.mv2 ON CLUSTER c1 TO db1.agg AS SELECT k FROM db1.src"
    )


def test_drop_alter_and_database_statements_run_on_the_cluster() -> None:
    assert (
        for_cluster("DROP TABLE IF EXISTS db1.v", "c1")
        == "DROP TABLE IF EXISTS db1.v ON CLUSTER c1"
    )
    assert for_cluster("ALTER TABLE db1.t ADD COLUMN b UInt8 DEFAULT 0", "c1") == (
        "ALTER TABLE db1.t ON CLUSTER c1 ADD COLUMN b UInt8 DEFAULT 0"
    )
    assert for_cluster("CREATE DATABASE IF NOT EXISTS db1", "c1") == (
        "CREATE DATABASE IF NOT EXISTS db1 ON CLUSTER c1"
    )
    insert = "INSERT INTO db1.t SELECT 1"
    assert for_cluster(insert, "c1") == insert
    already = "DROP TABLE db1.t ON CLUSTER c1"
    assert for_cluster(already, "c1") == already


def test_an_engine_the_rewrite_cannot_read_fails_loudly() -> None:
    nested = "CREATE TABLE db1.t (d Date) ENGINE = MergeTree(toYYYYMM(d), d, 8192)"
    with pytest.raises(ClusterRewriteError, match=r"db1\.t"):
        for_cluster(nested, "c1")


def test_zookeeper_paths_differ_per_database_and_table() -> None:
    paths = {zookeeper_path(n) for n in ("a.t", "b.t", "a.u")}
    assert len(paths) == 3


def test_hosts_accept_one_string_a_comma_list_or_a_list() -> None:
    assert ClickHouseSettings(host="ch1").hosts == [("ch1", 9000)]
    two = ClickHouseSettings(host="ch1, ch2:9001", port=9440, password=SecretStr("w"))
    assert two.hosts == [("ch1", 9440), ("ch2", 9001)]
    assert ClickHouseSettings(host=["ch1:1", "ch2:2"]).hosts == [("ch1", 1), ("ch2", 2)]
    kwargs = two.client_kwargs()
    assert (kwargs["host"], kwargs["port"], kwargs["alt_hosts"]) == ("ch1", 9440, "ch2:9001")
    assert "alt_hosts" not in two.model_copy(update={"host": "ch1"}).client_kwargs()
    with pytest.raises(ValueError, match="no server"):
        _ = ClickHouseSettings(host=" , ").hosts
