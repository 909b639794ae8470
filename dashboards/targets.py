"""Targets, 766 scoring and score bands: the numbers the wall is judged against, in one place.

Decision 766/QĐ-TTg publishes the indicators, their maximum points and the rate at which
they score in full, but not the bands between "weak" (< 50) and "excellent" (>= 90); the
operations center sets those, so they are configuration here and never appear in a query
or a panel by hand. Change a number here and every panel, threshold and alert follows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One 766 indicator that cityops can compute from its event streams.

    `numerator` / `denominator` name count columns of the read API; the rate is always
    sum(numerator) / sum(denominator) so that any grouping (agency, area, day) stays right.
    """

    code: str
    title: str
    view: str
    numerator: str
    denominator: str
    max_points: float
    #: The rate at which the indicator scores its full points.
    full_at: float

    @property
    def column(self) -> str:
        """Name of the indicator's points column in score queries (e.g. `p2_1`)."""
        return "p" + self.code.replace(".", "_")


#: 2.1 on time and early, 3.3 online dossiers, 5.4 satisfaction (contract read API columns).
ON_TIME = Indicator("2.1", "On-time and early", "dossier", "resolved_on_time", "resolved", 20, 1.0)
ONLINE = Indicator("3.3", "Online dossiers", "dossier", "online_received", "received", 22, 0.5)
SATISFACTION = Indicator("5.4", "Satisfaction", "portal", "satisfied_ratings", "ratings", 18, 0.9)
INDICATORS: tuple[Indicator, ...] = (ON_TIME, ONLINE, SATISFACTION)

#: The most the computed indicators can score together; the wall scales scores to 100.
MAX_POINTS: float = sum(i.max_points for i in INDICATORS)


@dataclass(frozen=True)
class Band:
    """A score band: from `lower` (inclusive, on the 0-100 scale) up to the next band."""

    name: str
    lower: float
    color: str


#: 766 bands on the 0-100 scale; only "weak" < 50 and "excellent" >= 90 are national.
SCORE_BANDS: tuple[Band, ...] = (
    Band("weak", 0, "red"),
    Band("average", 50, "orange"),
    Band("good", 70, "yellow"),
    Band("excellent", 90, "green"),
)

#: Business registration (field `BUSINESS_REGISTRATION_FIELD` of cityops.db.tables) in 1.5
#: working days: the seed's headline figure.
BUSINESS_REGISTRATION_TARGET_DAYS = 1.5

#: Province-wide targets for rates shown on the wall (0-1); agencies' own on-time targets
#: live in the reference table `ref_agencies.on_time_target`.
ON_TIME_TARGET = 0.95
ONLINE_SHARE_TARGET = ONLINE.full_at
CASHLESS_SHARE_TARGET = 0.5
SATISFACTION_TARGET = SATISFACTION.full_at
PAYMENT_FAILURE_RATE_LIMIT = 0.10

#: A source is silent when it sent nothing for this long (seconds).
SOURCE_SILENT_AFTER_S = 15 * 60
#: A satisfaction drop: today's satisfied share this far under the last 7 days' share.
SATISFACTION_DROP = 0.10
#: Minimum ratings (or payments) before a rate is judged: a handful is noise.
MIN_SAMPLE = 10
