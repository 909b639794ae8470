"""Portal panels: satisfaction (the live SIPAS) and use of the public-service portal.

The portal views have no area, so a drill-down narrows them by agency only.
"""

from __future__ import annotations

from cityops.db.tables import V_PORTAL_DAILY, V_PORTAL_MINUTE
from dashboards import defaults as d
from dashboards import targets
from dashboards.sql import DAYS_IN_RANGE, EVERYWHERE, TODAY, Scope, bucket, day_time, ratio

SATISFACTION = targets.SATISFACTION


def satisfaction_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Satisfaction today",
        "Share of today's portal ratings that were 4 or 5 out of 5 (766 indicator "
        f"{SATISFACTION.code}, the live counterpart of SIPAS).",
        f"SELECT {ratio(SATISFACTION.numerator, SATISFACTION.denominator)} AS satisfaction "
        f"FROM {V_PORTAL_DAILY} WHERE day = {TODAY} AND {scope.where(area=False)}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.SATISFACTION_TARGET),
        decimals=1,
    )


def sessions_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Portal sessions today",
        "Distinct portal sessions started today.",
        f"SELECT sum(sessions) AS sessions FROM {V_PORTAL_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where(area=False)}",
    )


def activity(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Portal activity",
        "Sessions started, submissions completed and ratings per interval.",
        f"""
        SELECT {bucket("minute")}, sum(sessions) AS sessions,
               sum(submissions_completed) AS submissions, sum(ratings) AS ratings
        FROM {V_PORTAL_MINUTE}
        WHERE $__timeFilter(minute) AND {scope.where(area=False)}
        GROUP BY time ORDER BY time
        """,
    )


def satisfaction_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Satisfaction per day",
        "Daily share of satisfied ratings against the 90% full-score mark.",
        f"""
        SELECT {day_time()},
               {ratio(SATISFACTION.numerator, SATISFACTION.denominator)} AS satisfaction
        FROM {V_PORTAL_DAILY}
        WHERE {DAYS_IN_RANGE} AND {scope.where(area=False)}
        GROUP BY time ORDER BY time
        """,
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.SATISFACTION_TARGET),
    )
