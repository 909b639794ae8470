"""The contract suite: the same small, named checks for every registered connector.

In the spirit of singer-sdk's `get_tap_test_class`, a test module needs one line:

    TestConnectorContract = contract_test_class(all_connectors(), offline=True)

and every connector, including one made a minute ago by `cityops connectors new`, is
checked through its own adapter: it emits valid events with keys, dead-letters bad input
with a reason, keeps secrets and personal ids out of logs and Kafka (these `OFFLINE_CHECKS`
need no broker: a `FakeProducer` stands in, so they run in the unit tier in seconds), stops
cleanly without losing what was in flight, and resumes from its checkpoint (these
`BROKER_CHECKS` are about Kafka's acknowledgements, so they run against the real broker).
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from cityops.contract import DeadLetter
from cityops.settings import KafkaSettings, Settings
from connectors.sdk.connector import Connector
from connectors.testing.fakes import FakeProducer
from connectors.testing.harness import Harness, wait_until

Check = Callable[[Harness], None]


def check_emits_valid_events(h: Harness) -> None:
    with h.running() as connector:
        h.deliver(connector, h.samples.good)
        h.wait_acked(connector, len(h.samples.good))
    model = h.cls.topic.model
    assert model is not None
    events = [model.model_validate_json(r.value) for r in h.events()]
    assert len(events) == len(h.samples.good), "one event per good sample record"
    assert len({e.event_id for e in events}) == len(events), "event ids are unique"
    assert {e.source for e in events} == {h.source}, "events carry the configured source"
    assert h.dead_letters() == [], "good input is never dead-lettered"


def check_keys_set(h: Harness) -> None:
    with h.running() as connector:
        h.deliver(connector, h.samples.good)
        h.wait_acked(connector, len(h.samples.good))
    model = h.cls.topic.model
    assert model is not None
    records = h.events()
    assert records, "the connector published something"
    for record in records:
        event = model.model_validate_json(record.value)
        assert record.key, "every event has a Kafka key"
        assert record.key.decode("utf-8") == event.key(), "the key is the contract's key field"


def check_bad_input_dead_lettered(h: Harness) -> None:
    good, bad = h.samples.good, h.samples.bad
    assert bad, "sample_input() must include bad records"
    mixed = [r for pair in zip(good, bad, strict=False) for r in pair]
    mixed += good[len(bad) :] + bad[len(good) :]
    with h.running() as connector:
        h.deliver(connector, mixed)
        h.wait_acked(connector, len(mixed))
        assert connector.metrics.dead_lettered_total == len(bad), "each bad record is counted"
    letters = [DeadLetter.model_validate_json(r.value) for r in h.dead_letters()]
    assert len(letters) == len(bad), "each bad record is dead-lettered once"
    for letter in letters:
        assert letter.reason.strip(), "a dead letter says why"
        assert letter.source == h.source
        assert letter.topic == h.topic_name
        assert base64.b64decode(letter.original_b64), "the original is kept"
    assert len(h.events()) == len(good), "good records around bad ones still pass"
    everything = b"".join(r.value for r in h.events() + h.dead_letters())
    for value in h.samples.pii:
        assert value.encode("utf-8") not in everything, "a raw personal value reached Kafka"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _captured_logs() -> Iterator[_Collect]:
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("kafka").setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def check_secrets_redacted(h: Harness) -> None:
    with _captured_logs() as logs:
        connector = h.new_connector()
        with h.running(connector):
            h.deliver(connector, h.samples.good + h.samples.bad)
            h.wait_acked(connector, len(h.samples.good) + len(h.samples.bad))
            connector.log.info("config in use: %s / %r", connector.config, connector)
    secret = h.secret
    shown = [repr(connector), str(connector.config), repr(connector.config)]
    shown.append(connector.config.model_dump_json())
    for text in shown:
        assert secret not in text, "a secret shows in repr/str/JSON of the connector or config"
    assert logs.lines, "the connector logs what it does"
    assert not [line for line in logs.lines if secret in line], "a secret reached the logs"
    hash_key = h.settings.hash_key.get_secret_value()
    assert not [line for line in logs.lines if hash_key in line], "the hash key reached the logs"
    everything = b"".join(r.value for r in h.events() + h.dead_letters())
    assert secret.encode() not in everything, "a secret reached Kafka"


def check_stops_cleanly(h: Harness) -> None:
    connector = h.new_connector()
    with h.running(connector):
        h.deliver(connector, h.samples.good)
        wait_until(lambda: connector.metrics.sent >= 1, "a first acknowledged event")
    # stop() returned through start(): everything handed to Kafka is acknowledged and there.
    assert connector.metrics.failed == 0
    published = len(h.events())
    assert published == connector.metrics.sent, "nothing that was in flight at stop was lost"
    assert published >= 1


def check_resumes_from_checkpoint(h: Harness) -> None:
    good = h.samples.good
    half = max(1, len(good) // 2)
    first, second = good[:half], good[half:]
    with h.running() as connector:
        h.deliver(connector, first)
        h.wait_acked(connector, len(first))
    with h.running() as restarted:
        h.deliver(restarted, second)
        h.wait_acked(restarted, len(second))
        assert restarted.metrics.sent == len(second), "a restart does not re-send what was done"
    model = h.cls.topic.model
    assert model is not None
    ids = [model.model_validate_json(r.value).event_id for r in h.events()]
    assert len(ids) == len(good), "every event exactly once across the restart"
    assert len(set(ids)) == len(ids)


OFFLINE_CHECKS: dict[str, Check] = {
    "emits_valid_events": check_emits_valid_events,
    "keys_set": check_keys_set,
    "bad_input_dead_lettered": check_bad_input_dead_lettered,
    "secrets_redacted": check_secrets_redacted,
}
BROKER_CHECKS: dict[str, Check] = {
    "stops_cleanly": check_stops_cleanly,
    "resumes_from_checkpoint": check_resumes_from_checkpoint,
}
CHECKS: dict[str, Check] = {**OFFLINE_CHECKS, **BROKER_CHECKS}


def offline_settings(state_dir: Path) -> Settings:
    """Settings for an offline check: a namespace of its own, checkpoints under `state_dir`."""
    namespace = f"offline{uuid.uuid4().hex[:8]}"
    return Settings(kafka=KafkaSettings(namespace=namespace), state_dir=state_dir)


def run_check(
    check: Check, cls: type[Connector], settings: Settings, *, offline: bool = False
) -> None:
    harness = Harness(cls, settings, producer=FakeProducer() if offline else None)
    try:
        check(harness)
    finally:
        harness.close()


def contract_test_class(connectors: Sequence[type[Connector]], *, offline: bool = False) -> type:
    """A pytest test class with one test per check, parametrised over `connectors`.

    Offline: the `OFFLINE_CHECKS` with a fake producer (needs pytest's `tmp_path` only).
    Otherwise: the `BROKER_CHECKS`, with the `settings` fixture of tests/conftest.py (fresh
    namespace and state dir on the real broker).
    """
    ids = [cls.name for cls in connectors]

    def make_test(check: Check) -> Callable[..., None]:
        if offline:

            @pytest.mark.parametrize("connector_cls", list(connectors), ids=ids)
            def test(self: object, connector_cls: type[Connector], tmp_path: Path) -> None:
                settings = offline_settings(tmp_path / "state")
                run_check(check, connector_cls, settings, offline=True)

        else:

            @pytest.mark.parametrize("connector_cls", list(connectors), ids=ids)
            def test(self: object, connector_cls: type[Connector], settings: Settings) -> None:
                run_check(check, connector_cls, settings)

        test.__doc__ = check.__doc__
        return test

    checks = OFFLINE_CHECKS if offline else BROKER_CHECKS
    namespace = {f"test_{name}": make_test(check) for name, check in checks.items()}
    return type("ConnectorContract", (), namespace)
