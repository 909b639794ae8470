"""Event models of contract v1 (see docs/contract.md).

Every model forbids unknown fields and validates enums, lengths and timestamps, so a
connector can call `model_validate` and dead-letter whatever raises. Timestamps must carry
an offset; they are normalised to UTC so that two sources in different zones compare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from cityops.contract.bounds import CODE_PATTERN, check_timestamp, reject_bool
from cityops.contract.enums import (
    AlertKind,
    AlertState,
    ApplicantType,
    Channel,
    Device,
    DossierStatus,
    FeeType,
    OnlineLevel,
    PaymentMethod,
    PaymentStatus,
    PortalKind,
    Severity,
)

SCHEMA_VERSION = 1


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, millisecond precision: the one wire form of a timestamp."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: An RFC 3339 timestamp with an offset, held in UTC, inside the accepted window (bounds.py).
Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    AfterValidator(check_timestamp),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.:\-/@]+$")]
#: Agency, area, procedure and field codes: the documented pattern (docs/contract.md).
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
#: A whole number where JSON `true` must not pass for 1.
Number = Annotated[int, BeforeValidator(reject_bool)]
Name = Annotated[str, Field(max_length=512)]


class Envelope(BaseModel):
    """Fields every event carries; `event_id` is the idempotency key downstream."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    #: The prefix of `event_type` (`dossier`, `payment`, `portal`, `alert`).
    family: ClassVar[str] = ""
    #: The field whose value is the Kafka key (per-entity ordering).
    key_field: ClassVar[str] = "event_id"
    #: The field whose value follows the dot in `event_type`.
    type_field: ClassVar[str] = ""

    event_id: Id
    event_type: Annotated[str, Field(max_length=64)]
    occurred_at: Timestamp
    source: Annotated[str, Field(min_length=1, max_length=128)]
    schema_version: Literal[1] = SCHEMA_VERSION

    def kind_value(self) -> str:
        """The part after the dot in `event_type`; each family names it differently."""
        value = getattr(self, self.type_field)
        return str(value.value if hasattr(value, "value") else value)

    @model_validator(mode="after")
    def _event_type_matches(self) -> Envelope:
        # Compared piecewise: this runs for every event a worker decodes, and the kinds are
        # StrEnums, equal to their string values.
        family, _, kind = self.event_type.partition(".")
        if family != self.family or kind != getattr(self, self.type_field):
            expected = f"{self.family}.{self.kind_value()}"
            # Never quotes the input: rejection reasons must not carry a citizen's data.
            raise ValueError(f"event_type must be {expected!r}")
        return self

    def key(self) -> str:
        value = getattr(self, self.key_field, None)
        return str(value) if value else self.event_id

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode("utf-8")

    @classmethod
    def build(cls, **fields: Any) -> Any:
        """Construct with `event_type` derived, so producers cannot get it wrong."""
        kind = fields[cls.type_field]
        kind = kind.value if hasattr(kind, "value") else kind
        fields.setdefault("event_type", f"{cls.family}.{kind}")
        return cls.model_validate(fields)


class DossierEvent(Envelope):
    """A step in an administrative-procedure file's life (hồ sơ thủ tục hành chính)."""

    family: ClassVar[str] = "dossier"
    key_field: ClassVar[str] = "dossier_id"
    type_field: ClassVar[str] = "status"

    dossier_id: Id
    status: DossierStatus
    procedure_code: Code
    procedure_name: Name = ""
    field_code: Code
    agency_code: Code
    agency_name: Name = ""
    area_code: Code
    area_name: Name = ""
    channel: Channel
    online_level: OnlineLevel
    applicant_type: ApplicantType
    applicant_ref: Annotated[str, Field(min_length=16, max_length=128)]
    received_at: Timestamp | None = None
    due_at: Timestamp | None = None
    resolved_at: Timestamp | None = None


class PaymentEvent(Envelope):
    """A fee payment through the national payment platform or at the desk."""

    family: ClassVar[str] = "payment"
    key_field: ClassVar[str] = "payment_id"
    type_field: ClassVar[str] = "status"

    payment_id: Id
    dossier_id: Id | None = None
    status: PaymentStatus
    method: PaymentMethod
    amount_vnd: Annotated[Number, Field(ge=0, le=10**13)]
    fee_type: FeeType
    agency_code: Code
    area_code: Code
    provider: Annotated[str, Field(max_length=64)] = ""
    failure_reason: Annotated[str, Field(max_length=512)] | None = None

    @property
    def cashless(self) -> bool:
        return self.method != PaymentMethod.CASH


class PortalEvent(Envelope):
    """An interaction on the online public-service portal (Cổng dịch vụ công)."""

    family: ClassVar[str] = "portal"
    key_field: ClassVar[str] = "session_id"
    type_field: ClassVar[str] = "kind"

    kind: PortalKind
    session_id: Id | None = None
    procedure_code: Code | None = None
    agency_code: Code | None = None
    rating: Annotated[Number, Field(ge=1, le=5)] | None = None
    device: Device

    @model_validator(mode="after")
    def _rating_only_on_ratings(self) -> PortalEvent:
        is_rating = self.kind == PortalKind.RATING_SUBMITTED
        if is_rating and self.rating is None:
            raise ValueError("rating_submitted needs a rating 1..5")
        if not is_rating and self.rating is not None:
            raise ValueError("rating is only allowed on rating_submitted")
        return self


class AlertEvent(Envelope):
    """What a duty officer is told; keyed by `<kind>:<subject>` so one alert is one partition."""

    family: ClassVar[str] = "alert"
    key_field: ClassVar[str] = "alert_id"
    type_field: ClassVar[str] = "state"

    alert_id: Annotated[str, Field(min_length=1, max_length=256)]
    kind: AlertKind
    severity: Severity
    state: AlertState
    subject: Annotated[str, Field(min_length=1, max_length=256)]
    agency_code: Code | None = None
    message: Annotated[str, Field(max_length=2048)]
    message_en: Annotated[str, Field(max_length=2048)] = ""
    opened_at: Timestamp
    resolved_at: Timestamp | None = None
    #: Orders the changes of one alert as its worker made them (epoch ms of the worker's
    #: clock, always above the alert's previous version); event times do not order them.
    version: Annotated[int, Field(ge=0)] | None = None
    #: Raised while the worker was catching up on a backlog: recorded, never paged.
    backlog: bool = False

    @staticmethod
    def make_id(kind: AlertKind | str, subject: str) -> str:
        return f"{AlertKind(kind).value}:{subject}"


class DeadLetter(BaseModel):
    """Rejected input, kept whole so it can be inspected and replayed after a fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    reason: str
    original_b64: str
    original_text: str
    at: Timestamp
    stage: str = "connector"
    #: The topic the input was meant for, when known.
    topic: str | None = None

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")
