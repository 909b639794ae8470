"""The workers' tables on RocksDB (the default store outside tests): a write lands in the
database of the partition it names, without a current Faust event (records are handled in
batches). Fails if the Faust internals `streams.state_table._store_put` uses change upstream,
and once upstream's public write path works without an event (then the internals can go)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust
import pytest
from faust.types import TP

from cityops.settings import StreamsSettings
from streams.state_table import MIB, PartitionedTable, store_options


def _table(tmp_path: Path) -> PartitionedTable:
    app = faust.App("unit-store", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    options = store_options(StreamsSettings(store_write_buffer_mib=4, store_block_cache_mib=2))
    return PartitionedTable(app, "dossiers", partitions=6, help="", options=options)


def test_rocksdb_write_lands_in_the_named_partition(tmp_path: Path) -> None:
    asyncio.run(_write_and_read(tmp_path))  # Faust objects want an event loop


async def _write_and_read(tmp_path: Path) -> None:
    table = _table(tmp_path)
    table.put("H42", {"status": "received"}, partition=3)
    store = table.table.data
    assert set(store._dbs) == {3}
    assert store._dbs[3].get(store._encode_key(b"H42")) is not None
    assert table.get("H42") == {"status": "received"}
    assert table.partition_of("H42") == 3
    table.delete("H42")
    assert table.get("H42") is None


def test_store_and_changelog_get_the_bytes_faust_would_write(tmp_path: Path) -> None:
    """Serialized once (issue 12): the database holds what the store's own encoding gives,
    and the changelog record waiting in the producer's buffer is those bytes, not the entry
    as Python objects (what made a loading worker's buffer hold gigabytes' worth)."""
    asyncio.run(_serialized_once(tmp_path))


async def _serialized_once(tmp_path: Path) -> None:
    table = _table(tmp_path)
    table.put("H42", {"status": "received", "seen": [1, 2]}, partition=3)
    store = table.table.data
    expected = store._encode_value(
        {"partition": 3, "value": {"status": "received", "seen": [1, 2]}}
    )
    assert store._dbs[3].get(store._encode_key(b"H42")) == expected
    pending = table.table.app.producer.buffer.pending.get_nowait()
    assert pending.message.value == expected
    assert pending.message.value_serializer == "raw"
    assert pending.message.partition == 3


def test_public_write_still_needs_a_current_event(tmp_path: Path) -> None:
    """The measured reason for `_store_put`: upstream's `store[key] = value` takes the
    partition from `faust.current_event()`, which batch-handled records do not have. When
    this fails, upstream fixed it: write through the public path and drop the internals."""
    asyncio.run(_public_write(tmp_path))


async def _public_write(tmp_path: Path) -> None:
    store = _table(tmp_path).table.data
    with pytest.raises(AssertionError):
        store[b"H42"] = {"partition": 3, "value": {}}


def test_store_options_reach_rocksdb(tmp_path: Path) -> None:
    """Bounded memory per partition database (settings streams.store_*_mib), not RocksDB's
    64 MiB x 3 memtables and 2 GiB block cache per database."""
    asyncio.run(_options(tmp_path))


async def _options(tmp_path: Path) -> None:
    options = _table(tmp_path).table.data.rocksdb_options
    assert (options.write_buffer_size, options.block_cache_size) == (4 * MIB, 2 * MIB)


def test_a_partition_back_in_the_same_process_keeps_its_stored_offset(tmp_path: Path) -> None:
    """Revoked, then assigned again to the same worker: the database opens again (its lock
    released) with the data and the changelog offset it stored, from which Faust's recovery
    replays what other workers wrote meanwhile."""
    asyncio.run(_revoke_and_reopen(tmp_path))


async def _revoke_and_reopen(tmp_path: Path) -> None:
    table = _table(tmp_path)
    store = table.table.data
    tp = TP(table.table.changelog_topic.get_topic_name(), 3)
    table.put("H42", {"status": "received"}, partition=3)
    store.set_persisted_offset(tp, 41)
    store.revoke_partitions(table.table, {tp})
    assert 3 not in store._dbs
    assert store.persisted_offset(tp) == 41
    assert table.get("H42") == {"status": "received"}


def test_scan_yields_every_entry_and_lets_the_loop_run(tmp_path: Path) -> None:
    """What the dossier processor rebuilds its deadline heap from after a rebalance: a million
    states took a minute to decode, and a worker that long deaf to its event loop missed its
    timers and endpoints."""
    asyncio.run(_scan(tmp_path))


async def _scan(tmp_path: Path) -> None:
    app = faust.App("unit-scan", store="memory://", datadir=str(tmp_path), autodiscover=False)
    table = PartitionedTable(app, "dossiers", partitions=6, help="")
    for n in range(5):
        table.put(f"H{n}", {"n": n}, partition=n % 6)
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.ensure_future(count_turns())
    await asyncio.sleep(0)
    seen = {key: value async for key, value in table.scan(chunk=2)}
    counter.cancel()
    assert seen == {f"H{n}": {"n": n} for n in range(5)}
    assert turns >= 3  # the counter's first turn, then one every 2 entries
