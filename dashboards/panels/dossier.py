"""Dossier panels: intake, resolution, timeliness and what is overdue right now.

Each function is one panel; `scope` narrows it to the drill-down's agencies and areas, so
the wall and the drill-down show the same figure computed the same way.
"""

from __future__ import annotations

from cityops.db.tables import (
    BUSINESS_REGISTRATION_FIELD,
    V_BUSINESS_REGISTRATION,
    V_DOSSIER_AGENCY_DAILY,
    V_DOSSIER_DAILY,
    V_DOSSIER_MINUTE,
    V_DOSSIER_OPEN,
)
from dashboards import defaults as d
from dashboards import targets
from dashboards.columns import dashboard_url, data_link, linked_agency
from dashboards.sql import (
    BELOW_DAILY_INTERVAL,
    DAILY_INTERVAL,
    DAYS_IN_RANGE,
    EVERYWHERE,
    TODAY,
    Scope,
    agency_names,
    area_names,
    bucket,
    day_time,
    rate,
    ratio,
)
from dashboards.uids import DOSSIERS

ON_TIME = targets.ON_TIME


def daily_view(scope: Scope) -> str:
    """The daily view a panel over a range reads: per agency when the scope has no area to
    filter (the wall), per (agency, area) cell otherwise. A country's cells hold about one
    dossier each; per agency its rolled days are ~1,100 rows a day (migration 037)."""
    return V_DOSSIER_DAILY if scope.area_var else V_DOSSIER_AGENCY_DAILY


def received_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Tiếp nhận hôm nay",
        "Received today: dossiers received (tiếp nhận) today, local time; each dossier counts "
        "once.",
        f"SELECT sum(received) AS received FROM {V_DOSSIER_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where()}",
    )


def resolved_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Đã giải quyết hôm nay",
        "Resolved today: dossiers whose first 'resolved' event fell on today.",
        f"SELECT sum(resolved) AS resolved FROM {V_DOSSIER_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where()}",
    )


def on_time_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Đúng hạn hôm nay",
        "On time today: share of today's resolved dossiers resolved by their (latest) due date "
        f"(766 indicator {ON_TIME.code}). Empty when nothing was resolved yet.",
        f"SELECT {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate "
        f"FROM {V_DOSSIER_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ON_TIME_TARGET),
        decimals=1,
    )


def online_share_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Nộp trực tuyến hôm nay",
        "Online share today: share of today's received dossiers filed online (766 indicator 3.3).",
        f"SELECT {ratio('online_received', 'received')} AS online_share "
        f"FROM {V_DOSSIER_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ONLINE_SHARE_TARGET),
        decimals=1,
    )


def open_now(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Đang giải quyết",
        "Open now: dossiers received and not yet resolved, returned, rejected, withdrawn or "
        "stopped.",
        f"SELECT count() AS open FROM {V_DOSSIER_OPEN} WHERE {scope.where(procedure=True)}",
        width=3,
    )


def overdue_now(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Hồ sơ quá hạn",
        "Overdue now: open dossiers past their due date (hồ sơ quá hạn), each one a citizen "
        "waiting. Not coloured: a province always has some; the overdue share next to it is "
        "what turns red.",
        f"SELECT countIf(is_overdue = 1) AS overdue FROM {V_DOSSIER_OPEN} "
        f"WHERE {scope.where(procedure=True)}",
        width=3,
    )


def overdue_share(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Tỷ lệ quá hạn",
        "Overdue share: open dossiers past due as a share of all open dossiers. Orange from "
        f"{targets.OVERDUE_SHARE_WARN:.0%}, red from {targets.OVERDUE_SHARE_LIMIT:.0%}.",
        f"SELECT {rate('countIf(is_overdue = 1)', 'count()')} AS overdue_share "
        f"FROM {V_DOSSIER_OPEN} WHERE {scope.where(procedure=True)}",
        unit=d.RATIO,
        thresholds=OVERDUE_SHARE_STEPS,
        decimals=1,
        width=4,
    )


def flow(scope: Scope = EVERYWHERE) -> d.Panel:
    # Per interval for short ranges, per local day over wide ones (DAILY_FROM_INTERVAL_S):
    # the query holds both SELECTs; the one whose condition is false reads nothing.
    return d.timeseries(
        "Tiếp nhận và giải quyết",
        "Received and resolved: dossiers received and resolved per interval over the selected time"
        " range (per day over ranges of about three weeks or more).",
        f"""
        SELECT time, sum(received) AS received, sum(resolved) AS resolved
        FROM
        (
            SELECT {bucket("minute")}, received, resolved
            FROM {V_DOSSIER_MINUTE}
            WHERE {BELOW_DAILY_INTERVAL} AND $__timeFilter(minute) AND {scope.where()}
            UNION ALL
            SELECT {day_time()}, received, resolved
            FROM {daily_view(scope)}
            WHERE {DAILY_INTERVAL} AND {DAYS_IN_RANGE} AND {scope.where()}
        )
        GROUP BY time ORDER BY time
        """,
    )


def on_time_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Tỷ lệ đúng hạn theo ngày",
        "On-time rate per day: daily share of resolved dossiers that were on time, and the share "
        "filed online.",
        f"""
        SELECT {day_time()},
               {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate,
               {ratio("online_received", "received")} AS online_share
        FROM {daily_view(scope)}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
        unit=d.RATIO,
    )


def processing_hours_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Thời gian giải quyết trung bình",
        "Average processing time per day: mean hours from received to resolved, over the dossiers "
        "resolved that day.",
        f"""
        SELECT {day_time()},
               {ratio("processing_hours_sum", "processing_hours_count")} AS avg_hours
        FROM {daily_view(scope)}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
        unit=d.HOURS,
    )


#: Colours of an overdue share (of open dossiers).
OVERDUE_SHARE_STEPS = d.steps(
    (None, "green"), (targets.OVERDUE_SHARE_WARN, "orange"), (targets.OVERDUE_SHARE_LIMIT, "red")
)
#: A rate column against the province's on-time target, coloured.
ON_TIME_CELL = d.Column("Đúng hạn", d.RATIO, d.rate_steps(targets.ON_TIME_TARGET))


def worst_agencies(scope: Scope = EVERYWHERE, limit: int = 10, height: int = 8) -> d.Panel:
    inner = f"""
        SELECT agency_code, sum(received) AS n_received, sum(resolved) AS n_resolved,
               sum(resolved_late) AS n_late,
               {ratio(ON_TIME.numerator, ON_TIME.denominator)} AS on_time_rate
        FROM {daily_view(scope)}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY agency_code"""
    return d.table(
        "Cơ quan theo tỷ lệ đúng hạn",
        "Agencies by on-time rate: lowest first over the time range, against their own "
        "target (ref_agencies.on_time_target); 'late' counts dossiers resolved after due. "
        "Click an agency for its dossiers.",
        f"""
        SELECT agency_code, if(agency_name = '', agency_code, agency_name) AS agency,
               n_received AS received, n_resolved AS resolved, n_late AS late, on_time_rate,
               on_time_target AS target
        FROM {agency_names(inner)}
        WHERE n_resolved > 0
        ORDER BY on_time_rate ASC, late DESC
        LIMIT {limit}
        """,
        columns={
            **linked_agency(),
            "received": d.Column("Tiếp nhận"),
            "resolved": d.Column("Giải quyết"),
            "late": d.Column("Trễ hạn", thresholds=d.limit_steps(1)),
            "on_time_rate": ON_TIME_CELL,
            "target": d.Column("Mục tiêu", d.RATIO),
        },
        height=height,
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
        "Địa bàn theo tỷ lệ đúng hạn",
        "Areas by on-time rate: local units (district / commune) with the lowest on-time "
        "rate over the time range.",
        f"""
        SELECT if(area_name = '', area_code, area_name) AS area, n_received AS received,
               n_resolved AS resolved, on_time_rate, online_share
        FROM {area_names(inner)}
        WHERE n_resolved > 0
        ORDER BY on_time_rate ASC
        LIMIT {limit}
        """,
        columns={
            "area": d.Column("Địa bàn"),
            "received": d.Column("Tiếp nhận"),
            "resolved": d.Column("Giải quyết"),
            "on_time_rate": ON_TIME_CELL,
            "online_share": d.Column(
                "Trực tuyến", d.RATIO, d.rate_steps(targets.ONLINE_SHARE_TARGET)
            ),
        },
    )


def overdue_by_agency(scope: Scope = EVERYWHERE, limit: int = 10) -> d.Panel:
    return d.bargauge(
        "Hồ sơ quá hạn theo cơ quan",
        "Overdue dossiers by agency: open dossiers past due, per resolving agency: where to "
        "send the inspectors.",
        f"""
        SELECT if(agency_name = '', agency_code, agency_name) AS agency,
               countIf(is_overdue = 1) AS overdue
        FROM {V_DOSSIER_OPEN}
        WHERE {scope.where(procedure=True)}
        GROUP BY agency
        HAVING overdue > 0
        ORDER BY overdue DESC
        LIMIT {limit}
        """,
        unit=d.COUNT,
        thresholds=d.steps((None, "orange")),
    )


def by_procedure(scope: Scope = EVERYWHERE, limit: int = 30) -> d.Panel:
    """Agency -> procedure: open and overdue dossiers per procedure, each a link to its list."""
    return d.table(
        "Thủ tục đang tồn đọng",
        "Open and overdue dossiers per procedure of the chosen agencies, most overdue first. "
        "Click a procedure to list its overdue dossiers below.",
        f"""
        SELECT procedure_code, any(procedure_name) AS procedure, count() AS open,
               countIf(is_overdue = 1) AS overdue,
               {rate("countIf(is_overdue = 1)", "count()")} AS overdue_share
        FROM {V_DOSSIER_OPEN}
        WHERE {scope.where()}
        GROUP BY procedure_code
        ORDER BY overdue DESC, open DESC
        LIMIT {limit}
        """,
        columns={
            "procedure_code": d.Column("Mã thủ tục"),
            "procedure": d.Column(
                "Thủ tục",
                link=data_link(
                    "Hồ sơ quá hạn của thủ tục",
                    dashboard_url(DOSSIERS, procedure="${__data.fields.procedure_code}")
                    + "&${agency:queryparam}",
                ),
            ),
            "open": d.Column("Đang giải quyết"),
            "overdue": d.Column("Quá hạn"),
            "overdue_share": d.Column("Tỷ lệ quá hạn", d.RATIO, OVERDUE_SHARE_STEPS),
        },
        width=24,
    )


def overdue_list(scope: Scope = EVERYWHERE, limit: int = 200) -> d.Panel:
    return d.table(
        "Danh sách hồ sơ quá hạn",
        "Overdue dossiers: every open dossier past its due date, longest overdue first.",
        f"""
        SELECT dossier_id, agency_name AS agency, area_name AS area, procedure_name AS
               procedure, status, due_at, hours_overdue / 24 AS days_overdue
        FROM {V_DOSSIER_OPEN}
        WHERE is_overdue = 1 AND {scope.where(procedure=True)}
        ORDER BY hours_overdue DESC
        LIMIT {limit}
        """,
        columns={
            "dossier_id": d.Column("Mã hồ sơ"),
            "agency": d.Column("Cơ quan"),
            "area": d.Column("Địa bàn"),
            "procedure": d.Column("Thủ tục"),
            "status": d.Column("Trạng thái"),
            "due_at": d.Column("Hạn trả"),
            "days_overdue": d.Column(
                "Quá hạn (ngày)", d.DAYS, d.steps((None, "orange"), (3, "red"))
            ),
        },
        height=10,
        width=24,
    )


def business_registration_days(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Đăng ký doanh nghiệp (ngày)",
        "Business registration: mean days from received to resolved of business-registration "
        "dossiers "
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
        "Đăng ký doanh nghiệp đúng hạn",
        "Business registration within due: share of business-registration dossiers resolved by the"
        " due date the source set in "
        "working days: the official reading of the 1.5-day promise.",
        f"SELECT avg(within_due) AS within_due FROM {V_BUSINESS_REGISTRATION} "
        f"WHERE {DAYS_IN_RANGE} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.ON_TIME_TARGET),
        decimals=1,
    )
