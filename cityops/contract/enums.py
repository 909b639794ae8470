"""Closed vocabularies of contract v1.

They are `StrEnum`s so that a value serialises as the bare string the contract names, and an
unknown value fails validation (and is dead-lettered) instead of being guessed.
"""

from enum import StrEnum


class DossierStatus(StrEnum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENT_RECEIVED = "supplement_received"
    FEE_REQUESTED = "fee_requested"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


#: Statuses after which a dossier is no longer open (contract: "How each figure counts").
CLOSING_STATUSES: frozenset[DossierStatus] = frozenset(
    {
        DossierStatus.RESOLVED,
        DossierStatus.RETURNED,
        DossierStatus.REJECTED,
        DossierStatus.WITHDRAWN,
        DossierStatus.STOPPED,
    }
)


class Channel(StrEnum):
    DIRECT = "direct"
    ONLINE = "online"
    POSTAL = "postal"


class OnlineLevel(StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


class ApplicantType(StrEnum):
    CITIZEN = "citizen"
    BUSINESS = "business"


class PaymentStatus(StrEnum):
    INITIATED = "initiated"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    EWALLET = "ewallet"
    QR = "qr"


class FeeType(StrEnum):
    FEE = "fee"
    CHARGE = "charge"


class PortalKind(StrEnum):
    SESSION_STARTED = "session_started"
    SERVICE_VIEWED = "service_viewed"
    SUBMISSION_STARTED = "submission_started"
    SUBMISSION_COMPLETED = "submission_completed"
    RATING_SUBMITTED = "rating_submitted"
    FEEDBACK_SUBMITTED = "feedback_submitted"
    ACCOUNT_REGISTERED = "account_registered"


class Device(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    KIOSK = "kiosk"


class AlertKind(StrEnum):
    DOSSIER_OVERDUE = "dossier_overdue"
    DOSSIER_DUE_SOON = "dossier_due_soon"
    PAYMENT_FAILURE_SPIKE = "payment_failure_spike"
    SOURCE_SILENT = "source_silent"
    ON_TIME_RATE_LOW = "on_time_rate_low"
    SATISFACTION_LOW = "satisfaction_low"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
