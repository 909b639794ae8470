"""Fuzz, end to end: generated webhook bodies and national-portal records, good and bad mixed,
through the real connectors, the real broker, a worker process and ClickHouse; the read-API
figures must equal those of the good inputs alone, and every bad input must be in
`deadletters` once.

A smaller count than the in-process families (each case waits on real servers). Bad inputs
include the contract's bounds (out-of-window times, booleans as amounts, codes outside the
pattern), also sent straight onto the topic past the connectors, where the worker refuses
them.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cityops.contract import PAYMENT
from cityops.db.tables import DEADLETTERS, V_DOSSIER_DAILY, V_PAYMENT_DAILY, qualified
from cityops.kafka import make_producer
from cityops.settings import LOCAL_TZ, Settings
from connectors.adapters.pull.cursor import cursor_key
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.adapters.push.sender import post_signed
from connectors.dossier.connector import DossierConnector
from connectors.payment.connector import PaymentConnector
from connectors.sdk.connector import Connector
from tests.fuzz.cases import SCALE, count
from tests.fuzz.inputs import Fated, fated_payment, fated_portal_record
from tests.fuzz.test_webhook_bodies import Body, batch_body
from tests.support.pipeline import wait_until

FAMILY = "end to end"
SECRET = "fuzz-end-to-end-secret-of-32-bytes-or-more"
TZ = ZoneInfo(LOCAL_TZ)
#: Change times handed out in feed order: a real feed only ever adds records at its end.
CLOCK = itertools.count()
FIRST = datetime(2026, 1, 5, 8, 0)


#: Batches of payments, each one unique (ids from one counter): `deadletters` keeps one row
#: per (source, second, original, reason), so two identical bad inputs could not be told apart.
BATCHES = st.lists(fated_payment(), max_size=25).map(batch_body)


@contextmanager
def running(connector: Connector) -> Iterator[Connector]:
    thread = threading.Thread(target=connector.start, daemon=True)
    thread.start()
    try:
        yield connector
    finally:
        alive = thread.is_alive()
        connector.stop()
        thread.join(60)
    assert alive, f"the {connector.name} connector exited"


@st.composite
def fed_record(draw: st.DrawFn) -> Fated:
    """A portal record at the feed's end; bad ones keep a readable change time."""
    fated = draw(fated_portal_record().filter(lambda f: cursor_key(f.record["NgayCapNhat"])))
    stamp = FIRST + timedelta(seconds=37 * next(CLOCK))
    return Fated({**fated.record, "NgayCapNhat": f"{stamp:%Y%m%d%H%M%S}"}, fated.good)


def expected_payments(records: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(local day, figure) -> value, from the good payments alone."""
    figures: Counter[tuple[str, str]] = Counter()
    for record in records:
        day = datetime.fromisoformat(record["occurred_at"]).astimezone(TZ).date().isoformat()
        figures[(day, record["status"])] += 1
        if record["status"] == "succeeded":
            figures[(day, "amount_vnd")] += record["amount_vnd"]
    return +figures  # zeros left out, as in `stored`


def expected_dossiers(records: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    figures: Counter[tuple[str, str]] = Counter()
    for record in records:
        day = datetime.strptime(record["NgayCapNhat"], "%Y%m%d%H%M%S").date().isoformat()
        if record["TrangThaiHoSo"] == 2:
            figures[(day, "received")] += 1
        if record["TrangThaiHoSo"] == 9:
            figures[(day, "resolved")] += 1
    return figures


def stored(ch: Any, database: str, view: str, names: tuple[str, ...]) -> Counter:
    """(local day, figure) -> value, from a daily read-API view; zeros left out."""
    sums = ", ".join(f"sum({name})" for name in names)
    rows = ch.execute(f"SELECT toString(day), {sums} FROM {qualified(view, database)} GROUP BY day")
    return Counter(
        {
            (day, name): value
            for day, *values in rows
            for name, value in zip(names, values, strict=True)
            if value
        }
    )


PAYMENT_FIGURES = ("initiated", "succeeded", "failed", "refunded", "amount_vnd")
DOSSIER_FIGURES = ("received", "resolved")


def test_read_api_figures_equal_the_good_inputs_alone(
    pipeline_settings: Settings, start_worker: Any, ch: Any
) -> None:
    database = pipeline_settings.clickhouse.database
    start_worker()
    feed = FakeFeed()
    good_payments: list[dict[str, Any]] = []
    good_records: list[dict[str, Any]] = []
    bypassed: list[Fated] = []
    direct = make_producer(pipeline_settings.kafka)
    topic = PAYMENT.name(pipeline_settings.kafka.namespace)
    payments = PaymentConnector(
        {"source": "hooks", "port": 0, "secrets": {"bank-a": SECRET}}, pipeline_settings
    )
    dossiers = DossierConnector(
        {"source": "egov", "base_url": feed.url, "poll_interval": 0.1, "page_size": 50},
        pipeline_settings,
    )
    try:
        with running(payments), running(dossiers):
            assert payments.ready.wait(30)
            url = f"http://127.0.0.1:{payments.bound_port}/webhooks/bank-a"

            @hypothesis_settings(
                max_examples=max(1, int(100 * SCALE)), deadline=None, database=None
            )
            @given(
                body=BATCHES,
                records=st.lists(fed_record(), max_size=6),
                poison=st.lists(fated_payment().filter(lambda f: not f.good), max_size=2),
            )
            def send(body: Body, records: list[Fated], poison: list[Fated]) -> None:
                status, answer = post_signed(url, SECRET, body.raw, timeout=30)
                assert status == body.status, answer
                good_payments.extend(body.good_records)
                feed.add([r.record for r in records])
                good_records.extend(r.record for r in records if r.good)
                # Straight onto the topic, past the connectors: the worker must refuse them.
                for item in poison:
                    direct.send(topic, key=b"poison", value=json.dumps(item.record).encode())
                direct.flush()
                bypassed.extend(poison)
                count(FAMILY, body.good + body.letters + len(records) + len(poison))

            send()
            # Every record in the feed makes one acknowledged send: an event or a dead letter.
            wait_until(lambda: dossiers.metrics.sent >= len(feed), timeout=120)
            letters = (
                payments.metrics.dead_lettered_total
                + dossiers.metrics.dead_lettered_total
                + len(bypassed)
            )
        wait_until(
            lambda: (
                stored(ch, database, V_PAYMENT_DAILY, PAYMENT_FIGURES)
                == expected_payments(good_payments)
                and stored(ch, database, V_DOSSIER_DAILY, DOSSIER_FIGURES)
                == expected_dossiers(good_records)
                and ch.execute(f"SELECT count() FROM {database}.{DEADLETTERS.name}")[0][0]
                == letters
            ),
            timeout=180,
            every=1,
            describe=lambda: (
                f"payments {stored(ch, database, V_PAYMENT_DAILY, PAYMENT_FIGURES)} vs "
                f"{expected_payments(good_payments)}; dossiers "
                f"{stored(ch, database, V_DOSSIER_DAILY, DOSSIER_FIGURES)} vs "
                f"{expected_dossiers(good_records)}; dead letters "
                f"{ch.execute(f'SELECT count() FROM {database}.{DEADLETTERS.name}')} vs {letters}"
            ),
        )
    finally:
        feed.close()
        direct.close()
    assert stored(ch, database, V_PAYMENT_DAILY, PAYMENT_FIGURES) == expected_payments(
        good_payments
    )
    assert stored(ch, database, V_DOSSIER_DAILY, DOSSIER_FIGURES) == expected_dossiers(good_records)
