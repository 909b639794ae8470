"""Portal panels: satisfaction (the live SIPAS) and use of the public-service portal.

The portal views have no area, so a drill-down narrows them by agency only.
"""

from __future__ import annotations

from cityops.db.tables import V_PORTAL_DAILY, V_PORTAL_HOURLY, V_PORTAL_MINUTE
from dashboards import defaults as d
from dashboards import targets
from dashboards.columns import linked_agency
from dashboards.sql import (
    BELOW_DAILY_INTERVAL,
    COARSE_INTERVAL,
    DAILY_INTERVAL,
    DAYS_IN_RANGE,
    EVERYWHERE,
    FINE_INTERVAL,
    TODAY,
    Scope,
    agency_names,
    bucket,
    day_time,
    ratio,
)

SATISFACTION = targets.SATISFACTION


def satisfaction_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Hài lòng hôm nay",
        "Satisfaction today: share of today's portal ratings that were 4 or 5 out of 5 (766 "
        "indicator "
        f"{SATISFACTION.code}, the live counterpart of SIPAS).",
        f"SELECT {ratio(SATISFACTION.numerator, SATISFACTION.denominator)} AS satisfaction "
        f"FROM {V_PORTAL_DAILY} WHERE day = {TODAY} AND {scope.where(area=False)}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.SATISFACTION_TARGET),
        decimals=1,
    )


def sessions_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Lượt truy cập cổng hôm nay",
        "Portal sessions today: distinct portal sessions started today.",
        f"SELECT sum(sessions) AS sessions FROM {V_PORTAL_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where(area=False)}",
    )


def activity(scope: Scope = EVERYWHERE) -> d.Panel:
    # Per minute for short ranges, per hour (or the interval, if wider) over wider ones, per
    # local day over the widest: see COARSE_FROM_INTERVAL_S and DAILY_FROM_INTERVAL_S (a
    # country's hours hold about one event per agency, so the hourly rows are as many as the
    # minute ones). The hourly rows are those of the hours the range touches.
    figures = "sessions, submissions_completed AS submissions, ratings"
    return d.timeseries(
        "Hoạt động trên cổng",
        "Portal activity: sessions started, submissions completed and ratings per interval "
        "(per hour at least over ranges of more than a few days, per day over about three "
        "weeks or more).",
        f"""
        SELECT time, sum(sessions) AS sessions, sum(submissions) AS submissions,
               sum(ratings) AS ratings
        FROM
        (
            SELECT {bucket("minute")}, {figures}
            FROM {V_PORTAL_MINUTE}
            WHERE {FINE_INTERVAL} AND $__timeFilter(minute) AND {scope.where(area=False)}
            UNION ALL
            SELECT {bucket("hour", at_least_s=3600)}, {figures}
            FROM {V_PORTAL_HOURLY}
            WHERE {COARSE_INTERVAL} AND {BELOW_DAILY_INTERVAL}
                AND hour >= toStartOfHour($__fromTime) AND hour <= $__toTime
                AND {scope.where(area=False)}
            UNION ALL
            SELECT {day_time()}, {figures}
            FROM {V_PORTAL_DAILY}
            WHERE {DAILY_INTERVAL} AND {DAYS_IN_RANGE} AND {scope.where(area=False)}
        )
        GROUP BY time ORDER BY time
        """,
    )


def satisfaction_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Mức hài lòng theo ngày",
        "Satisfaction per day: daily share of satisfied ratings against the 90% full-score mark.",
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


def submissions_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Nộp hồ sơ trực tuyến hôm nay",
        "Online submissions today: submissions completed on the portal today.",
        f"SELECT sum(submissions_completed) AS submissions FROM {V_PORTAL_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where(area=False)}",
    )


def completion_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Hoàn tất nộp trực tuyến",
        "Submission completion today: completed among started online submissions; a low share "
        "means citizens give up on the portal's forms.",
        f"SELECT {ratio('submissions_completed', 'submissions_started')} AS completion "
        f"FROM {V_PORTAL_DAILY} WHERE day = {TODAY} AND {scope.where(area=False)}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.SUBMISSION_COMPLETION_TARGET),
        decimals=1,
    )


def ratings_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Lượt đánh giá hôm nay",
        "Ratings today: satisfaction ratings submitted on the portal today (1-5).",
        f"SELECT sum({SATISFACTION.denominator}) AS ratings FROM {V_PORTAL_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where(area=False)}",
    )


def satisfaction_by_agency(scope: Scope = EVERYWHERE, limit: int = 30) -> d.Panel:
    inner = f"""
        SELECT agency_code, sum(sessions) AS n_sessions,
               sum(submissions_completed) AS n_submissions,
               sum({SATISFACTION.denominator}) AS n_ratings,
               {ratio(SATISFACTION.numerator, SATISFACTION.denominator)} AS satisfaction
        FROM {V_PORTAL_DAILY}
        WHERE {DAYS_IN_RANGE} AND agency_code != '' AND {scope.where(area=False)}
        GROUP BY agency_code"""
    return d.table(
        "Hài lòng theo cơ quan",
        "Satisfaction by agency over the time range, least satisfied first, with the portal "
        "sessions and online submissions behind it. Click an agency for its dossiers.",
        f"""
        SELECT agency_code, if(agency_name = '', agency_code, agency_name) AS agency,
               n_sessions AS sessions, n_submissions AS submissions, n_ratings AS ratings,
               satisfaction
        FROM {agency_names(inner)}
        ORDER BY satisfaction ASC
        LIMIT {limit}
        """,
        columns={
            **linked_agency(),
            "sessions": d.Column("Lượt truy cập"),
            "submissions": d.Column("Nộp trực tuyến"),
            "ratings": d.Column("Lượt đánh giá"),
            "satisfaction": d.Column(
                "Hài lòng", d.RATIO, d.rate_steps(targets.SATISFACTION_TARGET)
            ),
        },
        width=24,
    )
