-- Pre-aggregated tables for the sources whose events are immutable facts (payments, portal)
-- and for the pipeline's health, kept by ClickHouse itself: a materialized view turns every
-- block inserted into a raw table into partial aggregates of it. Every aggregate is a
-- lattice (max, argMax under (occurred_ms, event_id), uniqExact of ids), so a duplicate
-- event, a re-sent batch or the backfill (`cityops db backfill`, which inserts the whole
-- history through the same SELECTs) adds nothing: merging a state with itself is a no-op.
-- Daily tables are keyed by local day and minute tables by minute, so a view's WHERE on
-- either reads only the range's rows (with predicate push-down; see READ_SETTINGS).

-- Payments: one row per (minute or day, agency, area, payment), as the views count distinct
-- payments and take each succeeded payment's latest amount.
CREATE TABLE IF NOT EXISTS {db}.{agg_payment_minute}
(
    minute DateTime,
    agency_code String,
    area_code String,
    payment_id String,
    initiated AggregateFunction(max, UInt8),
    succeeded AggregateFunction(max, UInt8),
    failed AggregateFunction(max, UInt8),
    refunded AggregateFunction(max, UInt8),
    succeeded_amount AggregateFunction(argMaxIf, UInt64, Tuple(UInt64, String), UInt8),
    succeeded_cashless AggregateFunction(argMaxIf, UInt8, Tuple(UInt64, String), UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, agency_code, area_code, payment_id);

CREATE TABLE IF NOT EXISTS {db}.{agg_payment_daily}
(
    day Date,
    agency_code String,
    area_code String,
    payment_id String,
    initiated AggregateFunction(max, UInt8),
    succeeded AggregateFunction(max, UInt8),
    failed AggregateFunction(max, UInt8),
    refunded AggregateFunction(max, UInt8),
    succeeded_amount AggregateFunction(argMaxIf, UInt64, Tuple(UInt64, String), UInt8),
    succeeded_cashless AggregateFunction(argMaxIf, UInt8, Tuple(UInt64, String), UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, area_code, payment_id);

DROP TABLE IF EXISTS {db}.{mv_payment_minute};
CREATE MATERIALIZED VIEW {db}.{mv_payment_minute} TO {db}.{agg_payment_minute} AS
SELECT
    toStartOfMinute(occurred_at) AS minute,
    agency_code,
    area_code,
    payment_id,
    maxState(toUInt8(status = 'initiated')) AS initiated,
    maxState(toUInt8(status = 'succeeded')) AS succeeded,
    maxState(toUInt8(status = 'failed')) AS failed,
    maxState(toUInt8(status = 'refunded')) AS refunded,
    argMaxIfState(amount_vnd, tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_amount,
    argMaxIfState(toUInt8(method != 'cash'), tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_cashless
FROM {db}.{payment_events}
GROUP BY minute, agency_code, area_code, payment_id;

DROP TABLE IF EXISTS {db}.{mv_payment_daily};
CREATE MATERIALIZED VIEW {db}.{mv_payment_daily} TO {db}.{agg_payment_daily} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    agency_code,
    area_code,
    payment_id,
    maxState(toUInt8(status = 'initiated')) AS initiated,
    maxState(toUInt8(status = 'succeeded')) AS succeeded,
    maxState(toUInt8(status = 'failed')) AS failed,
    maxState(toUInt8(status = 'refunded')) AS refunded,
    argMaxIfState(amount_vnd, tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_amount,
    argMaxIfState(toUInt8(method != 'cash'), tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_cashless
FROM {db}.{payment_events}
GROUP BY day, agency_code, area_code, payment_id;

-- Portal: distinct ids per (minute or day, agency), one state per figure.
CREATE TABLE IF NOT EXISTS {db}.{agg_portal_minute}
(
    minute DateTime,
    agency_code String,
    sessions AggregateFunction(uniqExactIf, String, UInt8),
    submissions_started AggregateFunction(uniqExactIf, String, UInt8),
    submissions_completed AggregateFunction(uniqExactIf, String, UInt8),
    ratings AggregateFunction(uniqExactIf, String, UInt8),
    satisfied_ratings AggregateFunction(uniqExactIf, String, UInt8),
    feedbacks AggregateFunction(uniqExactIf, String, UInt8),
    accounts_registered AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, agency_code);

CREATE TABLE IF NOT EXISTS {db}.{agg_portal_daily}
(
    day Date,
    agency_code String,
    sessions AggregateFunction(uniqExactIf, String, UInt8),
    submissions_started AggregateFunction(uniqExactIf, String, UInt8),
    submissions_completed AggregateFunction(uniqExactIf, String, UInt8),
    ratings AggregateFunction(uniqExactIf, String, UInt8),
    satisfied_ratings AggregateFunction(uniqExactIf, String, UInt8),
    feedbacks AggregateFunction(uniqExactIf, String, UInt8),
    accounts_registered AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code);

DROP TABLE IF EXISTS {db}.{mv_portal_minute};
CREATE MATERIALIZED VIEW {db}.{mv_portal_minute} TO {db}.{agg_portal_minute} AS
SELECT
    toStartOfMinute(occurred_at) AS minute,
    ifNull(agency_code, '') AS agency_code,
    uniqExactIfState(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
    uniqExactIfState(event_id, kind = 'submission_started') AS submissions_started,
    uniqExactIfState(event_id, kind = 'submission_completed') AS submissions_completed,
    uniqExactIfState(event_id, kind = 'rating_submitted') AS ratings,
    uniqExactIfState(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
        AS satisfied_ratings,
    uniqExactIfState(event_id, kind = 'feedback_submitted') AS feedbacks,
    uniqExactIfState(event_id, kind = 'account_registered') AS accounts_registered
FROM {db}.{portal_events}
GROUP BY minute, agency_code;

DROP TABLE IF EXISTS {db}.{mv_portal_daily};
CREATE MATERIALIZED VIEW {db}.{mv_portal_daily} TO {db}.{agg_portal_daily} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    ifNull(agency_code, '') AS agency_code,
    uniqExactIfState(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
    uniqExactIfState(event_id, kind = 'submission_started') AS submissions_started,
    uniqExactIfState(event_id, kind = 'submission_completed') AS submissions_completed,
    uniqExactIfState(event_id, kind = 'rating_submitted') AS ratings,
    uniqExactIfState(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
        AS satisfied_ratings,
    uniqExactIfState(event_id, kind = 'feedback_submitted') AS feedbacks,
    uniqExactIfState(event_id, kind = 'account_registered') AS accounts_registered
FROM {db}.{portal_events}
GROUP BY day, agency_code;
