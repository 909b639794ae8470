-- v_payment_minute's figures per local day in {tz} (agg_payment_daily).
SELECT
    day,
    agency_code,
    area_code,
    countIf(is_initiated = 1) AS initiated,
    countIf(is_succeeded = 1) AS succeeded,
    countIf(is_failed = 1) AS failed,
    countIf(is_refunded = 1) AS refunded,
    sumIf(paid_amount, is_succeeded = 1) AS amount_vnd,
    countIf(is_succeeded = 1 AND paid_cashless = 1) AS cashless_succeeded,
    sumIf(paid_amount, is_succeeded = 1 AND paid_cashless = 1) AS cashless_amount_vnd
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
    GROUP BY day, agency_code, area_code, payment_id
)
GROUP BY day, agency_code, area_code
