-- The payment and portal views read the aggregates of 006 instead of the raw tables
-- (v_pipeline_health moves onto 007's aggregates in 012, with 010's sink columns). Names and columns are unchanged (the contract); so are the figures (the backfill
-- test compares them before and after). A query on a range reads that range's rows only,
-- provided predicates are pushed into views (`enable_optimize_predicate_expression`, set
-- for readers by cityops and by the reader profile; current ClickHouse does it by default).

DROP TABLE IF EXISTS {db}.{v_payment_minute};
CREATE VIEW {db}.{v_payment_minute} AS
SELECT
    minute,
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
        minute,
        agency_code,
        area_code,
        payment_id,
        maxMerge(initiated) AS is_initiated,
        maxMerge(succeeded) AS is_succeeded,
        maxMerge(failed) AS is_failed,
        maxMerge(refunded) AS is_refunded,
        argMaxIfMerge(succeeded_amount) AS paid_amount,
        argMaxIfMerge(succeeded_cashless) AS paid_cashless
    FROM {db}.{agg_payment_minute}
    GROUP BY minute, agency_code, area_code, payment_id
)
GROUP BY minute, agency_code, area_code;

DROP TABLE IF EXISTS {db}.{v_payment_daily};
CREATE VIEW {db}.{v_payment_daily} AS
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
GROUP BY day, agency_code, area_code;

DROP TABLE IF EXISTS {db}.{v_portal_minute};
CREATE VIEW {db}.{v_portal_minute} AS
SELECT
    minute,
    agency_code,
    uniqExactIfMerge(sessions) AS sessions,
    uniqExactIfMerge(submissions_started) AS submissions_started,
    uniqExactIfMerge(submissions_completed) AS submissions_completed,
    uniqExactIfMerge(ratings) AS ratings,
    uniqExactIfMerge(satisfied_ratings) AS satisfied_ratings,
    uniqExactIfMerge(feedbacks) AS feedbacks,
    uniqExactIfMerge(accounts_registered) AS accounts_registered
FROM {db}.{agg_portal_minute}
GROUP BY minute, agency_code;

DROP TABLE IF EXISTS {db}.{v_portal_daily};
CREATE VIEW {db}.{v_portal_daily} AS
SELECT
    day,
    agency_code,
    uniqExactIfMerge(sessions) AS sessions,
    uniqExactIfMerge(submissions_started) AS submissions_started,
    uniqExactIfMerge(submissions_completed) AS submissions_completed,
    uniqExactIfMerge(ratings) AS ratings,
    uniqExactIfMerge(satisfied_ratings) AS satisfied_ratings,
    uniqExactIfMerge(feedbacks) AS feedbacks,
    uniqExactIfMerge(accounts_registered) AS accounts_registered
FROM {db}.{agg_portal_daily}
GROUP BY day, agency_code;
