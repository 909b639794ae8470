"""The deadline timer's compact queue: moments come out in time order, never early."""

from __future__ import annotations

from streams.dossier.deadline_heap import DeadlineHeap


def test_due_dossiers_come_out_earliest_first_and_never_before_their_moment() -> None:
    heap = DeadlineHeap()
    # Moments whose byte lengths differ (10 and 1_000_000_000_000) and ids of any length.
    for at_ms, dossier_id in [
        (2_000, "b"),
        (10, "zz-long-id"),
        (1_000_000_000_000, "a"),
        (2_000, "a"),
    ]:
        heap.push(at_ms, dossier_id)
    assert heap.next_ms() == 10
    due = []
    while (dossier_id := heap.pop_due(2_000)) is not None:
        due.append(dossier_id)
    assert due == ["zz-long-id", "a", "b"]
    assert heap.pop_due(999_999_999_999) is None
    assert len(heap) == 1
    assert heap.pop_due(1_000_000_000_000) == "a"


def test_unicode_ids_round_trip_and_clear_empties() -> None:
    heap = DeadlineHeap()
    heap.push(5, "hồ-sơ-1")
    assert heap.pop_due(5) == "hồ-sơ-1"
    heap.push(5, "x")
    heap.clear()
    assert len(heap) == 0 and heap.next_ms() is None and heap.pop_due(10**15) is None
