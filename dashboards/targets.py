"""Targets, 766 scoring and score bands: the numbers the wall is judged against, in one place.

Decision 766/QĐ-TTg publishes the indicators, their maximum points and the rate at which
they score in full, but not the bands between "weak" (< 50) and "excellent" (>= 90); the
operations center sets those, so they are configuration here and never appear in a query
or a panel by hand. Change a number here and every panel, threshold and alert follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.settings import StreamsSettings

#: The workers' thresholds (cityops/settings.py `streams`): the workers evaluate those
#: conditions and raise the alerts; panels only colour figures with the same numbers.
_WORKERS = StreamsSettings()


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
    #: The indicator's name on the wall.
    title_vi: str = ""

    @property
    def column(self) -> str:
        """Name of the indicator's points column in score queries (e.g. `p2_1`)."""
        return "p" + self.code.replace(".", "_")


#: 2.1 on time and early, 3.3 online dossiers, 5.4 satisfaction (contract read API columns).
ON_TIME = Indicator(
    "2.1", "On-time and early", "dossier", "resolved_on_time", "resolved", 20, 1.0, "Đúng hạn"
)
ONLINE = Indicator(
    "3.3", "Online dossiers", "dossier", "online_received", "received", 22, 0.5, "Trực tuyến"
)
SATISFACTION = Indicator(
    "5.4", "Satisfaction", "portal", "satisfied_ratings", "ratings", 18, 0.9, "Hài lòng"
)
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
#: Online submissions completed among those started (the portal's forms work).
SUBMISSION_COMPLETION_TARGET = 0.8
SATISFACTION_TARGET = SATISFACTION.full_at
PAYMENT_FAILURE_RATE_LIMIT = _WORKERS.payment_failure_rate
#: A source is silent when it sent nothing for this long (seconds).
SOURCE_SILENT_AFTER_S = int(_WORKERS.source_silent_minutes * 60)

#: Overdue dossiers as a share of open ones: orange from the first, red from the second.
#: A count alone is red from 1 and so always red; a share says whether it is getting worse.
OVERDUE_SHARE_WARN = 0.02
OVERDUE_SHARE_LIMIT = 0.05

# What Grafana itself watches (the workers cannot report their own absence); the rules in
# dashboards/alerting/pipeline.py and the wall's freshness tiles use these and no others.
#: The wall is stale when no source event was ingested for this long (seconds).
FRESHNESS_WARN_S = 120
FRESHNESS_LIMIT_S = 600
#: Staleness pages only in office hours (local, Monday-Friday, [start, end) hours, as
#: cityops.timeutil.is_working_hours): at night a quiet province is not a fault.
OFFICE_HOURS = (7, 17)
#: Workers report consumer lag every `lag_report_seconds`; silent this long, they are down.
WORKERS_SILENT_AFTER_S = int(_WORKERS.lag_report_seconds * 8)
#: Messages of a source topic waiting for its worker: orange, then paged.
LAG_WARN = 10_000
LAG_LIMIT = 100_000
#: How long a lagging or stuck pipeline must last before it pages someone.
PIPELINE_PENDING = "5m"
