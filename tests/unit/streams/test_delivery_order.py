"""The drain loop's per-partition order: each source record reaches its inbox once, in
offset order, whatever fetch it came from (streams/delivery_order.py)."""

from __future__ import annotations

from faust.types import TP

from streams.delivery_order import MAX_RESEEKS, DeliveryOrder, Verdict

TP0 = TP("cityops.dossier.v1", 0)
TP1 = TP("cityops.dossier.v1", 1)


def deliver_run(order: DeliveryOrder, tp: TP, offsets: list[int], fetch: int) -> list[int]:
    """What the drain loop puts in the inbox from one fetch's records of `tp`."""
    put = []
    for offset in offsets:
        verdict = order.verdict(tp, offset, fetch)
        if verdict in (Verdict.DELIVER, Verdict.HOLE):
            put.append(offset)
            order.delivered(tp, offset)
    return put


def test_nothing_is_delivered_before_the_partition_is_sought() -> None:
    order = DeliveryOrder()
    assert order.verdict(TP0, 0, fetch=1) is Verdict.SKIP
    order.sought(TP0, 0)
    assert deliver_run(order, TP0, [0, 1, 2], fetch=2) == [0, 1, 2]


def test_a_fetch_from_before_the_seek_cannot_hide_the_records_the_seek_fetches_again() -> None:
    """The multi-worker loss: a fetch made before the seek to the committed offset 10 (its
    records 15.. were fetched after the recovery had dropped 10..14) is iterated after the
    seek. Faust counted 11..15 as a gap and dropped the re-fetched 10..14 as already read;
    here the stale fetch asks for one seek and is skipped, and the next fetch delivers 10.."""
    order = DeliveryOrder()
    order.sought(TP0, 10)
    assert order.verdict(TP0, 15, fetch=1) is Verdict.RESEEK
    assert deliver_run(order, TP0, [16, 17], fetch=1) == []  # the rest of the stale fetch
    assert deliver_run(order, TP0, list(range(10, 20)), fetch=2) == list(range(10, 20))


def test_records_delivered_already_are_not_delivered_twice() -> None:
    """After a seek back, the records delivered before it arrive again."""
    order = DeliveryOrder()
    order.sought(TP0, 0)
    assert deliver_run(order, TP0, [0, 1, 2, 3], fetch=1) == [0, 1, 2, 3]
    assert deliver_run(order, TP0, [2, 3, 4], fetch=2) == [4]


def test_a_seek_back_to_the_committed_offset_delivers_from_there_again() -> None:
    """Records handed to an inbox that was then emptied (a revocation) are delivered again."""
    order = DeliveryOrder()
    order.sought(TP0, 0)
    deliver_run(order, TP0, [0, 1, 2, 3], fetch=1)
    order.forget()
    assert order.verdict(TP0, 4, fetch=2) is Verdict.SKIP  # nothing before the next seek
    order.sought(TP0, 2)
    assert deliver_run(order, TP0, [2, 3, 4], fetch=3) == [2, 3, 4]


def test_a_real_hole_is_accepted_after_fresh_fetches_keep_starting_past_it() -> None:
    """Retention deleted 5..9 before anyone read them: the partition cannot start at 5, so
    after MAX_RESEEKS fetches that start at 10 the hole is taken as real, not sought forever."""
    order = DeliveryOrder()
    order.sought(TP0, 5)
    verdicts = [order.verdict(TP0, 10, fetch) for fetch in range(1, MAX_RESEEKS + 2)]
    assert verdicts == [Verdict.RESEEK] * MAX_RESEEKS + [Verdict.HOLE]
    assert order.expected(TP0) == 10
    order.delivered(TP0, 10)
    assert order.verdict(TP0, 11, fetch=99) is Verdict.DELIVER


def test_a_refused_seek_does_not_count_as_an_attempt() -> None:
    order = DeliveryOrder()
    order.sought(TP0, 5)
    for fetch in range(1, 3 * MAX_RESEEKS):
        assert order.verdict(TP0, 10, fetch) is Verdict.RESEEK
        order.reseek_failed(TP0)


def test_the_seek_asked_for_keeps_its_attempts_and_another_one_resets_them() -> None:
    order = DeliveryOrder()
    order.sought(TP0, 5)
    assert order.verdict(TP0, 10, fetch=1) is Verdict.RESEEK
    order.sought(TP0, 5)  # the consumer's own seek, reported back
    assert order.verdict(TP0, 10, fetch=2) is Verdict.RESEEK
    order.sought(TP0, 3)  # a seek elsewhere (a rebalance's): a new start
    assert order.verdict(TP0, 10, fetch=3) is Verdict.RESEEK
    assert order.verdict(TP0, 10, fetch=3) is Verdict.SKIP


def test_partitions_are_independent() -> None:
    order = DeliveryOrder()
    order.sought(TP0, 0)
    order.sought(TP1, 100)
    assert deliver_run(order, TP1, [100, 101], fetch=1) == [100, 101]
    assert deliver_run(order, TP0, [0], fetch=1) == [0]
    assert order.expected(TP0) == 1 and order.expected(TP1) == 102
