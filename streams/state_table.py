"""Worker state that lives on the partition of the records it came from.

A Faust table is recovered per changelog partition: after a rebalance a worker reads back
the changelog partitions numbered like the source partitions it was given (Faust's
assignor co-partitions topics of equal partition count). That is only right if every
changelog record sits on the partition of the source record it was derived from. Letting the
producer choose (`use_partitioner=True`) broke that: the changelog key was the JSON
serialization of the key (`b'"H42-..."'`), the source key the raw id bytes, and the two
hashed to different partitions for most keys, so a worker recovered other dossiers' state.

`PartitionedTable` removes the guess. Every write names its partition, the one of the
source record (or, for a timer's write, the one the key was last written to, kept with the
value so a recovered key knows it too); keys are serialized raw, the same bytes as the
source topic's key. Whatever partitioner a connector uses, the changelog follows the
records. It uses Faust's public table API only: `Table.send_changelog(partition, ...)` for
the changelog and `Table.data` (the local store) for the value.

The in-memory store forgets, after a recovery, only the keys it recovered itself; keys this
worker wrote for partitions it has since lost would stay and be acted on by timers.
`keep_partitions` drops them locally (no tombstone: the new owner's copy is the truth).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import faust
from faust.stores.rocksdb import Store as RocksDBStore

from cityops.settings import StreamsSettings

#: Field names of a stored entry (JSON in the changelog).
_PARTITION = "partition"
_VALUE = "value"


MIB = 1024 * 1024
#: Entries `PartitionedTable.scan` decodes between two turns of the event loop.
SCAN_CHUNK = 2000


def store_options(streams: StreamsSettings) -> dict[str, Any]:
    """The RocksDB options of every table (Faust's public `Table(options=...)`; the memory
    store ignores them): bounded memtables and block cache per partition database."""
    return {
        "write_buffer_size": streams.store_write_buffer_mib * MIB,
        "block_cache_size": streams.store_block_cache_mib * MIB,
        # Two memtables: one filling while the other is written to disk.
        "max_write_buffer_number": 2,
    }


class PartitionedTable:
    """A changelogged key -> JSON value map whose every write names its partition."""

    def __init__(
        self,
        app: faust.App,
        name: str,
        partitions: int,
        help: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        # key_type=bytes makes Faust serialize keys raw; values are JSON.
        self.table = app.Table(
            name,
            default=None,
            partitions=partitions,
            key_type=bytes,
            help=help,
            options=options,
        )

    @property
    def name(self) -> str:
        return str(self.table.name)

    def get(self, key: str) -> Any | None:
        entry = self.table.data.get(key.encode())
        return entry[_VALUE] if _is_entry(entry) else None

    def partition_of(self, key: str) -> int | None:
        entry = self.table.data.get(key.encode())
        return int(entry[_PARTITION]) if _is_entry(entry) else None

    def put(self, key: str, value: Any, partition: int) -> None:
        """Set `key` here and in the changelog, on `partition`.

        The entry is serialized once, here, and the changelog gets those bytes: handed the
        entry itself, the producer's buffer held each value as a tree of Python objects until
        it was sent, several times the size of its JSON, and a worker loading a backlog held
        ~90,000 of them at once (issue 12)."""
        raw = key.encode()
        entry = {_PARTITION: partition, _VALUE: value}
        encoded = self.table.app.serializers.dumps_value(
            None, entry, serializer=self.table.value_serializer
        )
        _store_put(self.table.data, raw, entry, encoded, partition)
        self.table.send_changelog(partition, raw, encoded, value_serializer="raw")

    def update(self, key: str, value: Any) -> None:
        """Set a key already held, on the partition it was last written to."""
        partition = self.partition_of(key)
        if partition is None:
            raise KeyError(key)
        self.put(key, value, partition)

    def delete(self, key: str) -> None:
        """Forget `key` here and in the changelog (a tombstone on its partition)."""
        partition = self.partition_of(key)
        if partition is None:
            return
        raw = key.encode()
        del self.table.data[raw]
        self.table.send_changelog(partition, raw, None, value_serializer="raw")

    def items(self) -> Iterator[tuple[str, Any]]:
        """Every entry held, decoded one at a time, over a list of the keys taken first (so
        the table may change meanwhile). A list of the decoded entries, as before, held every
        state in the Python heap at once, which is what RocksDB is there to avoid."""
        data = self.table.data
        for raw in list(data.keys()):
            entry = data.get(raw)
            if _is_entry(entry):
                yield raw.decode(), entry[_VALUE]

    async def scan(self, chunk: int = SCAN_CHUNK) -> AsyncIterator[tuple[str, Any]]:
        """`items()`, giving the event loop a turn every `chunk` entries: decoding every state
        of a large table takes many seconds, during which a worker would otherwise miss its
        timers, its health endpoint and its consumer group's deadlines."""
        for n, item in enumerate(self.items(), 1):
            yield item
            if n % chunk == 0:
                await asyncio.sleep(0)

    def keep_partitions(self, partitions: set[int]) -> int:
        """Drop, locally only, every key of a partition this worker no longer owns.

        Only the memory store needs it: RocksDB keeps each partition in a database of its own
        and Faust reads only the assigned ones (a revoked partition's database is closed, its
        data kept for the day the partition comes back)."""
        data = self.table.data
        if isinstance(data, RocksDBStore):
            return 0
        lost = [
            key
            for key, entry in list(data.items())
            if not _is_entry(entry) or int(entry[_PARTITION]) not in partitions
        ]
        for key in lost:
            del self.table.data[key]
        return len(lost)

    def __len__(self) -> int:
        return len(self.table.data)


def _is_entry(entry: Any) -> bool:
    """A value written by this class; changelogs of older versions (JSON keys, bare values)
    hold none and are ignored (docs/operations.md, "Upgrading")."""
    return isinstance(entry, dict) and _PARTITION in entry and _VALUE in entry


def owned_partitions(app: faust.App, topic: faust.TopicT) -> set[int]:
    """The partitions of `topic` assigned to this worker now."""
    names = set(topic.topics)
    return {tp.partition for tp in app.consumer.assignment() if tp.topic in names}


def _store_put(store: Any, raw: bytes, entry: Any, encoded: bytes, partition: int) -> None:
    """Set `raw` in the local store, in the database of `partition` for RocksDB.

    Private Faust API, for a measured reason: the RocksDB store picks a write's partition
    from `faust.current_event()`, which records handled in batches (streams/runtime.py) do
    not have; `store[key] = value` fails its `assert event is not None` and crashed the worker
    at its first dossier (2026-11-30). The partition is known here, so the write goes to that
    partition's database (as `encoded`, the entry in the store's own serialization), and the
    key index the store's reads use learns it.
    tests/unit/streams/test_state_store.py fails if these internals change upstream.
    """
    if isinstance(store, RocksDBStore):
        key = store._encode_key(raw)
        store._db_for_partition(partition).put(key, encoded)
        store._key_index[key] = partition
    else:
        store[raw] = entry
