-- v_payment_minute's figures per local day in {tz}, agency and area. A settled day rolled by
-- `cityops db compact` after its last row arrived is read from its per-cell sums
-- (payment_daily_rollup, migration 038, the latest roll of each cell); every other day
-- (today, yesterday, a day a late event changed since its roll, all of them if compaction
-- never ran) from each payment's states in agg_payment_daily, merged per payment
-- (cityops/db/payment_rollup.py rolls a day with the same rule). Which days are rolled is
-- decided inside the view from payment_day_status (about one row per day), and both branches
-- select their days with IN, which the primary key serves, as in v_dossier_daily.
SELECT
    day,
    agency_code,
    area_code,
    sum(day_initiated) AS initiated,
    sum(day_succeeded) AS succeeded,
    sum(day_failed) AS failed,
    sum(day_refunded) AS refunded,
    sum(day_amount_vnd) AS amount_vnd,
    sum(day_cashless_succeeded) AS cashless_succeeded,
    sum(day_cashless_amount_vnd) AS cashless_amount_vnd
FROM
(
    SELECT day, agency_code, area_code,
           argMax(initiated, rolled_at) AS day_initiated,
           argMax(succeeded, rolled_at) AS day_succeeded,
           argMax(failed, rolled_at) AS day_failed,
           argMax(refunded, rolled_at) AS day_refunded,
           argMax(amount_vnd, rolled_at) AS day_amount_vnd,
           argMax(cashless_succeeded, rolled_at) AS day_cashless_succeeded,
           argMax(cashless_amount_vnd, rolled_at) AS day_cashless_amount_vnd
    FROM {db}.{payment_daily_rollup}
    WHERE day IN
    (
        SELECT day FROM {db}.{payment_day_status}
        GROUP BY day HAVING argMax(rolled, version) = 1
    )
    GROUP BY day, agency_code, area_code
    UNION ALL
    SELECT day, agency_code, area_code,
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
    GROUP BY day, agency_code, area_code
)
GROUP BY day, agency_code, area_code
