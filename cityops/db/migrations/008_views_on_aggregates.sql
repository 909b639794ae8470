-- The payment, portal and health views read the aggregates of 006 and 007 instead of the raw
-- tables. Names and columns are unchanged (the contract); so are the figures (the backfill
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

DROP TABLE IF EXISTS {db}.{v_pipeline_health};
CREATE VIEW {db}.{v_pipeline_health} AS
SELECT
    source,
    topic,
    nullIf(last_occurred, toDateTime(0)) AS last_occurred_at,
    nullIf(last_ingested, toDateTime(0)) AS last_ingested_at,
    events_5m,
    deadletters,
    deadletters_5m,
    nullIf(lag_sampled_at, toDateTime(0)) AS lag_at,
    if(isNull(lag_at), NULL, lag_total) AS consumer_lag
FROM
(
    SELECT
        source,
        multiIf(
            endsWith(raw_topic, '{dossier_topic}'), '{dossier_topic}',
            endsWith(raw_topic, '{payment_topic}'), '{payment_topic}',
            endsWith(raw_topic, '{portal_topic}'), '{portal_topic}',
            raw_topic) AS topic,
        max(occurred) AS last_occurred,
        max(ingested) AS last_ingested,
        sum(n_5m) AS events_5m,
        sum(dl) AS deadletters,
        sum(dl_5m) AS deadletters_5m
    FROM
    (
        SELECT
            topic AS raw_topic,
            source,
            maxMerge(last_occurred) AS occurred,
            maxMerge(last_ingested) AS ingested,
            toUInt64(0) AS n_5m,
            uniqExactIfMerge(deadletters) AS dl,
            toUInt64(0) AS dl_5m
        FROM {db}.{agg_ingest_totals}
        GROUP BY raw_topic, source
        UNION ALL
        SELECT
            topic AS raw_topic,
            source,
            toDateTime(0) AS occurred,
            toDateTime(0) AS ingested,
            uniqExactIfMerge(events) AS n_5m,
            toUInt64(0) AS dl,
            uniqExactIfMerge(deadletters) AS dl_5m
        FROM {db}.{agg_ingest_second}
        WHERE second >= now() - 300
        GROUP BY raw_topic, source
    )
    GROUP BY source, topic
) AS per_source
ANY LEFT JOIN
(
    SELECT
        base_topic AS topic,
        max(worker_lag) AS lag_total,
        max(worker_at) AS lag_sampled_at
    FROM
    (
        SELECT
            multiIf(
                endsWith(topic, '{dossier_topic}'), '{dossier_topic}',
                endsWith(topic, '{payment_topic}'), '{payment_topic}',
                endsWith(topic, '{portal_topic}'), '{portal_topic}',
                topic) AS base_topic,
            worker,
            sum(lag) AS worker_lag,
            max(at) AS worker_at
        FROM {db}.{consumer_lag} FINAL
        GROUP BY base_topic, worker
    )
    GROUP BY base_topic
) AS per_topic USING topic;
