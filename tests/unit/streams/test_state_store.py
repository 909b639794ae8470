"""The workers' tables on RocksDB (the default store outside tests): a write lands in the
database of the partition it names, without a current Faust event (records are handled in
batches). Fails if the Faust internals `streams.state_table._store_put` uses change upstream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust

from streams.state_table import PartitionedTable


def test_rocksdb_write_lands_in_the_named_partition(tmp_path: Path) -> None:
    asyncio.run(_write_and_read(tmp_path))  # Faust objects want an event loop


async def _write_and_read(tmp_path: Path) -> None:
    app = faust.App("unit-store", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    table = PartitionedTable(app, "dossiers", partitions=6, help="")
    table.put("H42", {"status": "received"}, partition=3)
    store = table.table.data
    assert set(store._dbs) == {3}
    assert store._dbs[3].get(store._encode_key(b"H42")) is not None
    assert table.get("H42") == {"status": "received"}
    assert table.partition_of("H42") == 3
    table.delete("H42")
    assert table.get("H42") is None
