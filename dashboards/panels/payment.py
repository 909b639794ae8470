"""Payment panels: how much goes cashless, how much fails, and which provider fails.

Per-provider figures read `v_payment_provider_daily` for the whole local days of the range
and `v_payment_provider_minute` for its partial first and last days (the daily views of
figures have no provider column): states of distinct payment ids merged over the range, so
a replayed event, or a payment whose events span minutes, days or failure reasons, counts
once.
"""

from __future__ import annotations

from cityops.db.tables import (
    V_PAYMENT_AGENCY_DAILY,
    V_PAYMENT_DAILY,
    V_PAYMENT_MINUTE,
    V_PAYMENT_PROVIDER_DAILY,
    V_PAYMENT_PROVIDER_MINUTE,
)
from dashboards import defaults as d
from dashboards import targets
from dashboards.sql import (
    BELOW_DAILY_INTERVAL,
    DAILY_INTERVAL,
    DAYS_IN_RANGE,
    EDGE_MINUTES,
    EVERYWHERE,
    TODAY,
    WHOLE_DAYS_IN_RANGE,
    Scope,
    agency_names,
    bucket,
    day_time,
    ratio,
)


def daily_view(scope: Scope) -> str:
    """The daily view a panel over a range reads: per agency when the scope has no area to
    filter, per (agency, area) cell otherwise. A country's cells hold about one payment each;
    per agency its rolled days are ~1,100 rows a day (migration 038)."""
    return V_PAYMENT_DAILY if scope.area_var else V_PAYMENT_AGENCY_DAILY


def cashless_share_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Không dùng tiền mặt hôm nay",
        "Cashless share today: share of today's succeeded payments made by transfer, card, "
        "e-wallet or QR.",
        f"SELECT {ratio('cashless_succeeded', 'succeeded')} AS cashless_share "
        f"FROM {V_PAYMENT_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.CASHLESS_SHARE_TARGET),
        decimals=1,
    )


def amount_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Phí, lệ phí hôm nay (triệu ₫)",
        "Fees collected today: sum of succeeded fee and charge payments today, in millions of VND.",
        f"SELECT sum(amount_vnd) / {d.MILLION} AS amount_million_vnd FROM {V_PAYMENT_DAILY} "
        f"WHERE day = {TODAY} AND {scope.where()}",
        unit=d.LOCALE,
        decimals=1,
    )


def failure_rate_today(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.stat(
        "Thanh toán lỗi hôm nay",
        "Payment failures today: failed payments among those that finished (succeeded or failed) "
        "today.",
        f"SELECT sum(failed) / nullIf(sum(failed) + sum(succeeded), 0) AS failure_rate "
        f"FROM {V_PAYMENT_DAILY} WHERE day = {TODAY} AND {scope.where()}",
        unit=d.RATIO,
        thresholds=d.limit_steps(targets.PAYMENT_FAILURE_RATE_LIMIT),
        decimals=1,
    )


def flow(scope: Scope = EVERYWHERE) -> d.Panel:
    # Per interval for short ranges, per local day over wide ones (DAILY_FROM_INTERVAL_S):
    # the query holds both SELECTs; the one whose condition is false reads nothing.
    return d.timeseries(
        "Thanh toán",
        "Payments: succeeded, cashless and failed payments per interval (per day over ranges of "
        "about three weeks or more).",
        f"""
        SELECT time, sum(succeeded) AS succeeded, sum(cashless_succeeded) AS cashless,
               sum(failed) AS failed
        FROM
        (
            SELECT {bucket("minute")}, succeeded, cashless_succeeded, failed
            FROM {V_PAYMENT_MINUTE}
            WHERE {BELOW_DAILY_INTERVAL} AND $__timeFilter(minute) AND {scope.where()}
            UNION ALL
            SELECT {day_time()}, succeeded, cashless_succeeded, failed
            FROM {daily_view(scope)}
            WHERE {DAILY_INTERVAL} AND {DAYS_IN_RANGE} AND {scope.where()}
        )
        GROUP BY time ORDER BY time
        """,
    )


def cashless_trend(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.timeseries(
        "Không dùng tiền mặt theo ngày",
        "Cashless share per day: daily share of succeeded payments that were cashless, against the"
        " target.",
        f"""
        SELECT {day_time()},
               {ratio("cashless_succeeded", "succeeded")} AS cashless_share
        FROM {daily_view(scope)}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY time ORDER BY time
        """,
        unit=d.RATIO,
        thresholds=d.rate_steps(targets.CASHLESS_SHARE_TARGET),
    )


def cashless_by_agency(scope: Scope = EVERYWHERE, limit: int = 15) -> d.Panel:
    inner = f"""
        SELECT agency_code, {ratio("cashless_succeeded", "succeeded")} AS cashless_share
        FROM {daily_view(scope)}
        WHERE {DAYS_IN_RANGE} AND {scope.where()}
        GROUP BY agency_code"""
    return d.bargauge(
        "Không dùng tiền mặt theo cơ quan",
        "Cashless share by agency: agencies with the lowest cashless share first: where banks and "
        "providers are needed.",
        f"""
        SELECT if(agency_name = '', agency_code, agency_name) AS agency, cashless_share
        FROM {agency_names(inner)}
        WHERE isNotNull(cashless_share)
        ORDER BY cashless_share ASC
        LIMIT {limit}
        """,
        thresholds=d.rate_steps(targets.CASHLESS_SHARE_TARGET),
        max_value=1,
    )


def provider_states(scope: Scope) -> str:
    """The range's provider states: whole local days per day and agency, the partial first
    and last days per minute (the same uniqExactIf states: merged, a payment counts once).
    The daily states have no area: a scope that filters areas reads the minutes throughout."""
    states = "provider, failure_reason, succeeded_state, failed_state"
    minutes = f"SELECT {states} FROM {V_PAYMENT_PROVIDER_MINUTE} WHERE {scope.where()} AND "
    if scope.area_var:
        return minutes + "$__timeFilter(minute)"
    return (
        f"SELECT {states} FROM {V_PAYMENT_PROVIDER_DAILY} "
        f"WHERE {WHOLE_DAYS_IN_RANGE} AND {scope.where(area=False)}\n"
        f"                UNION ALL\n                {minutes}{EDGE_MINUTES}"
    )


def by_provider(scope: Scope = EVERYWHERE) -> d.Panel:
    return d.table(
        "Đơn vị thanh toán",
        "Providers: per bank or wallet over the time range: payments succeeded and failed, failure "
        "rate, and the most frequent failure reason.",
        f"""
        SELECT provider,
               uniqExactIfMerge(ok) AS succeeded,
               uniqExactIfMerge(ko) AS failed,
               failed / nullIf(failed + succeeded, 0) AS failure_rate,
               if(max(ko_n) = 0, emptyArrayString(), [argMax(failure_reason, ko_n)]) AS top_reason
        FROM
        (
            SELECT provider, failure_reason,
                   uniqExactIfMergeState(succeeded_state) AS ok,
                   uniqExactIfMergeState(failed_state) AS ko,
                   uniqExactIfMerge(failed_state) AS ko_n
            FROM
            (
                {provider_states(scope)}
            )
            GROUP BY provider, failure_reason
        )
        GROUP BY provider
        ORDER BY failure_rate DESC
        """,
        columns={
            "provider": d.Column("Đơn vị"),
            "succeeded": d.Column("Thành công"),
            "failed": d.Column("Lỗi"),
            "failure_rate": d.Column(
                "Tỷ lệ lỗi", d.RATIO, d.limit_steps(targets.PAYMENT_FAILURE_RATE_LIMIT)
            ),
            "top_reason": d.Column("Lý do lỗi chính"),
        },
    )
