"""The province's behaviour as numbers: volumes, daily curves, rates and distributions.

Kept apart from the generator's mechanics so that a demo or a test can tune one realism knob
(say, the failure rate of one payment provider) without reading any control flow. Figures are
plausible for a province of ~1.8 million people (domain.md: ~2,000 dossiers a working day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cityops.contract.enums import Device, FeeType, PaymentMethod


def _curve(points: list[tuple[float, float]]) -> tuple[float, ...]:
    """Weights of the 96 quarter-hours of a day from (hour_from, weight) steps."""
    weights = []
    for slot in range(96):
        hour = slot / 4
        weight = 0.0
        for start, value in points:
            if hour >= start:
                weight = value
        weights.append(weight)
    return tuple(weights)


#: Counters and one-stop shops (bộ phận một cửa): 7:30-17:00 with a lunch dip.
DESK_CURVE = _curve(
    [
        (0, 0.0),
        (7.5, 0.6),
        (8, 1.0),
        (9, 1.25),
        (10, 1.1),
        (11.5, 0.15),
        (13.5, 0.7),
        (14, 1.0),
        (16, 0.6),
        (17, 0.0),
    ]
)

#: Citizens online: any hour, a morning peak and an evening one after work.
ONLINE_CURVE = _curve(
    [
        (0, 0.08),
        (6, 0.4),
        (8, 1.0),
        (11.5, 0.6),
        (13.5, 0.9),
        (17, 0.6),
        (19.5, 0.85),
        (22.5, 0.3),
    ]
)


@dataclass(frozen=True)
class RatingMix:
    """Weights of ratings 1..5."""

    weights: tuple[float, float, float, float, float]


@dataclass(frozen=True)
class Profile:
    """Every tunable number of a simulated province."""

    dossiers_per_working_day: float = 2000.0
    #: Share of a working day's online submissions that still arrive on a weekend or holiday.
    non_working_online_factor: float = 0.35
    browse_sessions_per_working_day: float = 3000.0
    non_working_browse_factor: float = 0.4
    #: Channel choice by the procedure's online level: (direct, online, postal).
    channel_mix: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "full": (0.35, 0.62, 0.03),
            "partial": (0.62, 0.35, 0.03),
            "none": (0.97, 0.0, 0.03),
        }
    )
    #: Probability that the applicant is a business, by field code (default: citizens).
    business_share: dict[str, float] = field(
        default_factory=lambda: {"DKDN": 1.0, "DKKD": 0.5, "LH": 0.8, "XD": 0.3}
    )
    default_business_share: float = 0.02
    #: How many agencies are chronically late, and how late.
    late_agency_count: int = 3
    late_share_late_agency: float = 0.4
    late_share_normal: float = 0.02
    #: Business registration is the showcase: almost never late, mostly within 1.5 days.
    late_share_by_field: dict[str, float] = field(default_factory=lambda: {"DKDN": 0.01})
    #: An online submission the desk refuses to accept (status 3).
    rejected_share: float = 0.04
    withdrawn_share: float = 0.01
    stopped_share: float = 0.005
    supplement_share: dict[str, float] = field(
        default_factory=lambda: {"DD": 0.2, "XD": 0.25, "KCB": 0.15, "LH": 0.1}
    )
    default_supplement_share: float = 0.05
    #: Fields whose fee is requested near the end (status 6), not paid at submission.
    fee_at_end_fields: frozenset[str] = frozenset({"DD", "XD"})
    #: Fields whose fee is a "phí" (service fee); the others charge a "lệ phí".
    service_fee_fields: frozenset[str] = frozenset({"LLTP", "CT", "KCB", "LH"})
    #: Payment method mix at the desk and online.
    desk_methods: dict[PaymentMethod, float] = field(
        default_factory=lambda: {
            PaymentMethod.CASH: 0.62,
            PaymentMethod.CARD: 0.13,
            PaymentMethod.QR: 0.2,
            PaymentMethod.BANK_TRANSFER: 0.05,
        }
    )
    online_methods: dict[PaymentMethod, float] = field(
        default_factory=lambda: {
            PaymentMethod.BANK_TRANSFER: 0.35,
            PaymentMethod.QR: 0.25,
            PaymentMethod.EWALLET: 0.3,
            PaymentMethod.CARD: 0.1,
        }
    )
    providers: dict[PaymentMethod, tuple[str, ...]] = field(
        default_factory=lambda: {
            PaymentMethod.CASH: ("counter",),
            PaymentMethod.CARD: ("payoo", "vnpay"),
            PaymentMethod.QR: ("vnpay", "napas"),
            PaymentMethod.EWALLET: ("momo", "viettelmoney", "zalopay"),
            PaymentMethod.BANK_TRANSFER: ("vietcombank", "vietinbank", "bidv", "agribank"),
        }
    )
    #: Normal failure rate of each provider (cash never fails).
    failure_rate: dict[str, float] = field(
        default_factory=lambda: {
            "counter": 0.0,
            "payoo": 0.04,
            "vnpay": 0.03,
            "napas": 0.02,
            "momo": 0.05,
            "viettelmoney": 0.06,
            "zalopay": 0.05,
            "vietcombank": 0.02,
            "vietinbank": 0.03,
            "bidv": 0.03,
            "agribank": 0.04,
        }
    )
    #: One provider (picked by the seed) has a bad hour starting at this local hour.
    bad_hour_start: int = 10
    bad_hour_failure_rate: float = 0.6
    failure_reasons: tuple[str, ...] = (
        "timeout",
        "insufficient_funds",
        "bank_declined",
        "user_cancelled",
    )
    bad_hour_reason: str = "provider_unavailable"
    refund_share: float = 0.005
    #: Devices of portal sessions.
    devices: dict[Device, float] = field(
        default_factory=lambda: {Device.MOBILE: 0.55, Device.DESKTOP: 0.4, Device.KIOSK: 0.05}
    )
    rating_share_online: float = 0.3
    rating_share_desk: float = 0.1
    ratings_normal: RatingMix = RatingMix((0.03, 0.04, 0.08, 0.3, 0.55))
    ratings_late_agency: RatingMix = RatingMix((0.07, 0.08, 0.15, 0.3, 0.4))
    ratings_late_dossier: RatingMix = RatingMix((0.25, 0.2, 0.2, 0.2, 0.15))
    account_registered_share: float = 0.1
    abandoned_submission_share: float = 0.1
    #: In live mode: dossiers per simulated hour whose due date falls minutes after "now".
    live_due_soon_per_hour: float = 4.0

    def fee_type(self, field_code: str) -> FeeType:
        return FeeType.FEE if field_code in self.service_fee_fields else FeeType.CHARGE


DEFAULT_PROFILE = Profile()
