-- v_payment_daily's figures per local day in {tz} and agency, without the area: what the
-- panels over agencies read (the payments dashboard's cashless trend and agencies, the daily
-- points of its flow). A settled day rolled after its last row arrived is read from its
-- per-agency sums (payment_agency_rollup, migration 038, the latest roll of each agency);
-- every other day per payment, exactly as v_payment_daily (whose comments say why each
-- choice), each payment counted in its (day, agency, area) cell, then summed per agency.
-- Not written over v_payment_daily for those days: 18.16 does not push the branch's
-- `day IN (...)` into that view's own branches, and it read every payment of the range
-- (a country's 30 days: 870,764 rows instead of 76,109; make bench-queries, 2026-11-30).
-- A country's 30 days: ~1,100 rolled rows a day and two days of payments, not ~830,000.
SELECT
    day,
    agency_code,
    sum(day_initiated) AS initiated,
    sum(day_succeeded) AS succeeded,
    sum(day_failed) AS failed,
    sum(day_refunded) AS refunded,
    sum(day_amount_vnd) AS amount_vnd,
    sum(day_cashless_succeeded) AS cashless_succeeded,
    sum(day_cashless_amount_vnd) AS cashless_amount_vnd
FROM
(
    SELECT day, agency_code,
           argMax(initiated, rolled_at) AS day_initiated,
           argMax(succeeded, rolled_at) AS day_succeeded,
           argMax(failed, rolled_at) AS day_failed,
           argMax(refunded, rolled_at) AS day_refunded,
           argMax(amount_vnd, rolled_at) AS day_amount_vnd,
           argMax(cashless_succeeded, rolled_at) AS day_cashless_succeeded,
           argMax(cashless_amount_vnd, rolled_at) AS day_cashless_amount_vnd
    FROM {db}.{payment_agency_rollup}
    WHERE day IN
    (
        SELECT day FROM {db}.{payment_day_status}
        GROUP BY day HAVING argMax(rolled, version) = 1
    )
    GROUP BY day, agency_code
    UNION ALL
    SELECT day, agency_code,
           countIf(is_initiated = 1) AS day_initiated,
           countIf(is_succeeded = 1) AS day_succeeded,
           countIf(is_failed = 1) AS day_failed,
           countIf(is_refunded = 1) AS day_refunded,
           sumIf(paid_amount, is_succeeded = 1) AS day_amount_vnd,
           countIf(is_succeeded = 1 AND paid_cashless = 1) AS day_cashless_succeeded,
           sumIf(paid_amount, is_succeeded = 1 AND paid_cashless = 1) AS day_cashless_amount_vnd
    FROM
    (
        SELECT
            day,
            agency_code,
            area_code,
            payment_id,
            maxMerge(initiated) AS is_initiated,
            maxMerge(succeeded) AS is_succeeded,
            maxMerge(failed) AS is_failed,
            maxMerge(refunded) AS is_refunded,
            argMaxIfMerge(succeeded_amount) AS paid_amount,
            argMaxIfMerge(succeeded_cashless) AS paid_cashless
        FROM {db}.{agg_payment_daily}
        WHERE day IN
        (
            SELECT day FROM {db}.{payment_day_status}
            GROUP BY day HAVING argMax(rolled, version) = 0
        )
        GROUP BY day, agency_code, area_code, payment_id
    )
    GROUP BY day, agency_code
)
GROUP BY day, agency_code
