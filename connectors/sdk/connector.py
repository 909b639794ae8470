"""The base every connector extends, in the spirit of Quix Streams' `Source`.

A connector declares what it is as class attributes (`name`, `topic`, `Config`) and
implements how it reads its source (`run`, usually inherited from an adapter) and how one
source record becomes a contract event (`map`). The base owns the rest, identically for
every connector: the Kafka publisher, validation against the contract, dead-lettering with a
reason, the privacy rules of `cityops.privacy` (ids hashed, personal data masked in every
event and its key, rejected input redacted, reasons that never quote a value), checkpoints
written only after Kafka acknowledged, and a graceful stop on SIGTERM/SIGINT that flushes
whatever is in flight.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from kafka.producer.future import FutureRecordMetadata
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cityops.contract import DEADLETTER, ApplicantType, Envelope, TopicSpec
from cityops.kafka_topics import ensure_topics
from cityops.privacy import CONTRACT_FIELDS, applicant_ref, mask_event, redact_document, safe_reason
from cityops.secretcheck import refuse_weak_secrets
from cityops.settings import PRODUCTION, Settings
from connectors.sdk import registry
from connectors.sdk.checkpoint import CheckpointStore
from connectors.sdk.metrics import ConnectorMetrics
from connectors.sdk.publisher import Publisher

if TYPE_CHECKING:
    from kafka import KafkaProducer

    from connectors.sdk.testing import SampleSource


class ConnectorConfig(BaseModel):
    """Settings of one connector instance; subclasses add theirs (secrets as SecretStr)."""

    # Errors name the setting, never its value: a config can hold secrets.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    #: The instance name written into every event's `source`, e.g. `egov-dossier-namdinh`.
    source: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$")


class Rejected(Exception):
    """Raised by `map` for input that must be dead-lettered; `kind` is what metrics count."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class Samples:
    """What the contract suite feeds a connector through its own adapter."""

    #: Raw source records that each become exactly one event.
    good: list[bytes]
    #: Raw source records that must each be dead-lettered.
    bad: list[bytes]
    #: Personal values inside the samples that must never appear in Kafka.
    pii: list[str] = field(default_factory=list)


@dataclass
class Handled:
    """The outcome of one input record: an event published, or a reason it was dead-lettered."""

    event: Envelope | None
    reason: str | None
    future: FutureRecordMetadata


def format_validation_error(exc: ValidationError) -> str:
    """`validation: field: message; ...` without the input values (they may be personal)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in error["loc"]) or "event"
        parts.append(f"{loc}: {error['msg']}")
    return "validation: " + "; ".join(parts)


class Connector(ABC):
    #: Registry name (`cityops connectors run NAME`); classes without one are abstract.
    name: ClassVar[str] = ""
    #: The contract topic this connector publishes to.
    topic: ClassVar[TopicSpec]
    Config: ClassVar[type[ConnectorConfig]] = ConnectorConfig
    #: Source fields known to hold no personal data: the only values a dead letter keeps
    #: (masked); every other field of rejected input is hashed. Add a source's own field
    #: names here; never a field that can hold a person's id, name or contact.
    public_fields: ClassVar[frozenset[str]] = CONTRACT_FIELDS
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            registry.register(cls)

    def __init__(
        self,
        config: ConnectorConfig | Mapping[str, Any],
        settings: Settings,
        *,
        publisher: Publisher | None = None,
        producer: KafkaProducer | None = None,
        create_topics: bool = True,
    ) -> None:
        self.config = (
            config if isinstance(config, self.Config) else self.Config.model_validate(config)
        )
        self.settings = settings
        if settings.env == PRODUCTION:  # webhook secrets, API tokens: none short or default
            refuse_weak_secrets(self.config, prefix=f"connector {self.name}: ")
        self.refuse_unsafe_config()
        self.publisher = publisher or Publisher(
            settings.kafka, source=self.config.source, producer=producer
        )
        self.checkpoints = CheckpointStore(settings.state_dir, self.name, self.config.source)
        self.log = logging.getLogger(f"cityops.connectors.{self.name}")
        #: Set once the connector accepts input (a push server is listening, a poll began).
        self.ready = threading.Event()
        self._stopping = threading.Event()
        #: False with a stand-in producer (the offline contract suite): no broker to ask.
        self._create_topics = create_topics

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, config={self.config!r})"

    # -- what a connector implements ------------------------------------------------------

    def refuse_unsafe_config(self) -> None:
        """Raise InsecureSettings (one line) for config that must not start, in any mode;
        called before anything connects. Adapters add their rules."""
        return None

    @abstractmethod
    def run(self) -> None:
        """Read the source until `self.running` turns false, calling `handle` per record."""

    def map(self, record: dict[str, Any]) -> Envelope | Mapping[str, Any]:
        """Turn one source record into a contract event; by default it already is one."""
        return record

    @classmethod
    def sample_input(cls, source: str) -> Samples:
        """Good and bad records for the contract suite; every connector must provide them."""
        raise NotImplementedError(f"{cls.__name__} must define sample_input()")

    @classmethod
    def sample_source(cls) -> SampleSource:
        """A local stand-in for the real source (adapters provide one)."""
        raise NotImplementedError(f"{cls.__name__} must define sample_source()")

    # -- what the base gives every connector ------------------------------------------------

    @property
    def metrics(self) -> ConnectorMetrics:
        return self.publisher.metrics

    @property
    def running(self) -> bool:
        return not self._stopping.is_set()

    def stop(self) -> None:
        """Ask the read loop to finish; `start` then flushes and returns."""
        self._stopping.set()

    def sleep(self, seconds: float) -> bool:
        """Wait, but wake at once on `stop`; returns whether the connector still runs."""
        return not self._stopping.wait(max(0.0, seconds))

    def applicant_ref(self, raw_id: str, applicant_type: ApplicantType | None = None) -> str:
        return applicant_ref(raw_id, self.settings.hash_key, applicant_type)

    def dead_letter_fields(self) -> frozenset[str]:
        """The fields of rejected input kept in the clear (masked); a connector whose field
        names come from its config adds them here."""
        return self.public_fields

    def parse(self, raw: bytes) -> dict[str, Any]:
        try:
            record = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Rejected("invalid_json", str(exc)[:200]) from None
        except RecursionError:
            raise Rejected("invalid_json", "nested too deep") from None
        if not isinstance(record, dict):
            raise Rejected("not_an_object", f"expected a JSON object, got {type(record).__name__}")
        return record

    def to_event(self, record: dict[str, Any]) -> Envelope:
        mapped = self.map(record)
        model = self.topic.model
        assert model is not None, f"{self.name} publishes to a topic without a model"
        if isinstance(mapped, Mapping):
            return model.model_validate(dict(mapped))
        if not isinstance(mapped, model):
            raise Rejected("wrong_family", f"{type(mapped).__name__} is not {model.__name__}")
        return mapped

    def evaluate(
        self, raw: bytes | Mapping[str, Any], *, source: str | None = None
    ) -> tuple[Envelope | None, str | None]:
        """The contract event `raw` makes, or why it makes none; publishes nothing.

        Never raises for bad input: a batch can be judged whole before anything is sent.
        """
        try:
            record = dict(raw) if isinstance(raw, Mapping) else self.parse(raw)
            event = self.to_event(record)
            if source is not None and event.source != source:
                raise Rejected("source_mismatch", "the event's source is not the webhook's")
            event = mask_event(event, self.settings.hash_key)
        except Rejected as exc:
            reason = str(exc)
        except ValidationError as exc:
            reason = format_validation_error(exc)
        except Exception as exc:  # a mapping bug on odd input must not stop the connector
            # Only the type: an exception's message may quote the input.
            reason = f"mapping: {type(exc).__name__}"
        else:
            return event, None
        return None, safe_reason(reason, self.settings.hash_key)

    def handle(self, raw: bytes | Mapping[str, Any], *, source: str | None = None) -> Handled:
        """Validate and publish one record, or dead-letter it with the reason; never raises
        for bad input (only for Kafka itself failing)."""
        event, reason = self.evaluate(raw, source=source)
        if event is not None:
            return Handled(event, None, self.publisher.publish(event))
        assert reason is not None
        return self.reject(raw if isinstance(raw, bytes) else _dump(raw), reason, source=source)

    def reject(self, original: bytes, reason: str, *, source: str | None = None) -> Handled:
        """Dead-letter input refused before or during `handle`: the original redacted, the
        reason masked (`cityops.privacy`)."""
        reason = safe_reason(reason, self.settings.hash_key)
        future = self.publisher.dead_letter(
            self.redact(original),
            reason,
            topic=self.topic.name(self.settings.kafka.namespace),
            source=source,
        )
        return Handled(None, reason, future)

    def redact(self, original: bytes) -> bytes:
        """The original as a dead letter keeps it: only `dead_letter_fields` in the clear."""
        return redact_document(original, self.dead_letter_fields(), self.settings.hash_key)

    def commit(self, position: dict[str, Any]) -> None:
        """Save a checkpoint, but only once Kafka acknowledged everything sent before it."""
        self.publisher.flush()
        self.checkpoints.save(position)

    def start(self) -> ConnectorMetrics:
        """Run until stopped (SIGTERM/SIGINT in the main thread), then flush and close."""
        try:
            if self._create_topics:
                ensure_topics(self.settings.kafka, [self.topic, DEADLETTER])
        except Exception as exc:  # may lack admin rights in production: publishing still works
            self.log.warning("could not ensure topics exist: %s", exc)
        restore = self._install_signal_handlers()
        self.log.info("connector %s (%s) starting", self.name, self.config.source)
        try:
            self.run()
        finally:
            try:
                self.publisher.close()
            finally:
                restore()
                self.log.info("connector %s stopped: %s", self.name, self.metrics.snapshot())
        return self.metrics

    def _install_signal_handlers(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def on_signal(signum: int, _frame: Any) -> None:
            self.log.info(
                "received %s, stopping after in-flight events", signal.Signals(signum).name
            )
            self.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
