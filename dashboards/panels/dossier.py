"""Dossier panels: intake, resolution, timeliness and what is overdue right now.

Each function is one panel; `scope` narrows it to the drill-down's agencies and areas, so
the wall and the drill-down show the same figure computed the same way.
"""

from __future__ import annotations

from cityops.db.tables import (
    BUSINESS_REGISTRATION_FIELD,
    V_BUSINESS_REGISTRATION,
    V_DOSSIER_DAILY,
    V_DOSSIER_MINUTE,
    V_DOSSIER_OPEN,
)
from dashboards import defaults as d
from dashboards import targets
from dashboards.sql import (
    DAYS_IN_RANGE,
    EVERYWHERE,
    TODAY,
    Scope,
    agency_names,
    area_names,
    bucket,
    day_time,
    ratio,
)

ON_TIME = targets.ON_TIME


def received_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Received today",
        "Dossiers received (tiếp nhận) today, local time; each dossier counts once.",
        f"SELECT sum(received) AS received FROM {V_DOSSIER_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where()}",
    )


def resolved_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Resolved today",
        "Dossiers whose first 'resolved' event fell on today.",
        f"SELECT sum(resolved) AS resolved FROM {V_DOSSIER_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where()}",
    )


def on_time_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "On time today",
        "Share of today's resolved dossiers resolved by their (latest) due date "
        f"(766 indicator {ON_TIME.code}). Empty when nothing was resolved yet.",
        f"SELECT {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate "
        f"FROM {V_DOSSIER_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ON_TIME_TARGET),
        decimals=1,
    )


def online_share_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Online share today",
        "Share of today's received dossiers filed online (766 indicator 3.3).",
        f"SELECT {ratio('online_received', 'received')} AS online_share "
        f"FROM {V_DOSSIER_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ONLINE_SHARE_TARGET),
        decimals=1,
    )


def open_now(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Open now",
        "Dossiers received and not yet resolved, returned, rejected, withdrawn or stopped.",
        f"SELECT count() AS open FROM {V_DOSSIER_OPEN} WHERE {scope.where()}",
    )


def overdue_now(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Overdue now",
        "Open dossiers past their due date (hồ sơ quá hạn): each one is a citizen waiting.",
        f"SELECT countIf(is_overdue = 1) AS overdue FROM {V_DOSSIER_OPEN} WHERE {scope.where()}",
        thresholds=d.limit_steps(1),
    )


def flow(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Received and resolved",
        "Dossiers received and resolved per interval over the selected time range.",
        f"""
        SELECT {bucket("minute")}, sum(received) AS received, sum(resolved) AS resolved
        FROM {V_DOSSIER_MINUTE}
        WHERE $__timeFilter(minute) AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
    )


def on_time_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "On-time rate per day",
        "Daily share of resolved dossiers that were on time, and the share filed online.",
        f"""
        SELECT {day_time()},
               {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate,
               {ratio("online_received", "received")} AS online_share
        FROM {V_DOSSIER_DAILY}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
        unit=d.RATIO,
    )


def processing_hours_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Average processing time per day",
        "Mean hours from received to resolved, over the dossiers resolved that day.",
        f"""
        SELECT {day_time()},
               {ratio("processing_hours_sum", "processing_hours_count")} AS avg_hours
        FROM {V_DOSSIER_DAILY}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
        unit=d.HOURS,
    )


def worst_agencies(scope: Scope = EVERYWHERE, limit: int = 10) -> d.Panel:
    inner = f"""
        SELECT agency_code, sum(received) AS n_received, sum(resolved) AS n_resolved,
               sum(resolved_late) AS n_late,
               {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate
        FROM {V_DOSSIER_DAILY}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY agency_code"""
    return d.table(
        "Agencies by on-time rate",
        "Agencies with the lowest on-time rate over the time range, against their own "
        "target (ref_agencies.on_time_target); 'late' counts dossiers resolved after due.",
        f"""
        SELECT if(agency_name = '', agency_code, agency_name) AS agency,
               n_received AS received, n_resolved AS resolved, n_late AS late, on_time_rate,
               on_time_target AS target
        FROM {agency_names(inner)}
        WHERE n_resolved > 0
        ORDER BY on_time_rate ASC, late DESC
        LIMIT {limit}
        """,
        column_units={"on_time_rate": d.RATIO, "target": d.RATIO},
    )


def worst_areas(scope: Scope = EVERYWHERE, limit: int = 10) -> d.Panel:
    inner = f"""
        SELECT area_code, sum(received) AS n_received, sum(resolved) AS n_resolved,
               {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate,
               {ratio("online_received", "received")} AS online_share
        FROM {V_DOSSIER_DAILY}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY area_code"""
    return d.table(
        "Areas by on-time rate",
        "Local units (district / commune) with the lowest on-time rate over the time range.",
        f"""
        SELECT if(area_name = '', area_code, area_name) AS area, n_received AS received,
               n_resolved AS resolved, on_time_rate, online_share
        FROM {area_names(inner)}
        WHERE n_resolved > 0
        ORDER BY on_time_rate ASC
        LIMIT {limit}
        """,
        column_units={"on_time_rate": d.RATIO, "online_share": d.RATIO},
    )


def overdue_by_agency(scope: Scope = EVERYWHERE, limit: int = 10) -> d.Panel:
    return d.bargauge(
        "Overdue dossiers by agency",
        "Open dossiers past due, per resolving agency: where to send the inspectors.",
        f"""
        SELECT if(agency_name = '', agency_code, agency_name) AS agency,
               countIf(is_overdue = 1) AS overdue
        FROM {V_DOSSIER_OPEN}
        WHERE {scope.where()}
        GROUP BY agency
        HAVING overdue > 0
        ORDER BY overdue DESC
        LIMIT {limit}
        """,
        unit=d.COUNT,
        thresholds=d.limit_steps(1),
    )


def overdue_list(scope: Scope = EVERYWHERE, limit: int = 200) -> d.Panel:
    return d.table(
        "Overdue dossiers",
        "Every open dossier past its due date, longest overdue first.",
        f"""
        SELECT dossier_id, agency_name AS agency, area_name AS area, procedure_name AS
               procedure, status, due_at, hours_overdue / 24 AS days_overdue
        FROM {V_DOSSIER_OPEN}
        WHERE is_overdue = 1 AND {scope.where()}
        ORDER BY hours_overdue DESC
        LIMIT {limit}
        """,
        column_units={"days_overdue": d.DAYS},
        height=10,
        width=24,
    )


def business_registration_days(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Business registration",
        "Mean days from received to resolved of business-registration dossiers "
        f"(field {BUSINESS_REGISTRATION_FIELD}) resolved in the time range, calendar time; "
        f"target {targets.BUSINESS_REGISTRATION_TARGET_DAYS:g} working days.",
        f"SELECT avg(processing_hours) / 24 AS days FROM {V_BUSINESS_REGISTRATION} "
        f"WHERE {DAYS_IN_RANGE} AND {scope.where()}",
        unit=d.DAYS,
        thresholds=d.limit_steps(targets.BUSINESS_REGISTRATION_TARGET_DAYS),
        decimals=2,
    )


def business_registration_within_due(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Business registration within due",
        "Share of business-registration dossiers resolved by the due date the source set in "
        "working days: the official reading of the 1.5-day promise.",
        f"SELECT avg(within_due) AS within_due FROM {V_BUSINESS_REGISTRATION} "
        f"WHERE {DAYS_IN_RANGE} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ON_TIME_TARGET),
        decimals=1,
    )
