-- The portal figures per UTC hour and agency, for the activity panel over wide ranges
-- (dashboards/panels/portal.py): over 30 days, agg_portal_minute holds one row per (minute,
-- agency) with any event (a province: ~55,000; a country: millions), and each row carries
-- seven uniqExact states that a query must deserialize and merge, so the rows, not the bytes
-- on disk, make its cost. Per hour the rows are bounded by 24 x agencies per day, whatever the
-- traffic. Same states as 006's minute and daily tables, so duplicates count once and the
-- backfill (`cityops db backfill`, through the SELECT below) adds nothing twice.
CREATE TABLE IF NOT EXISTS {q.agg_portal_hourly}
(
    hour DateTime,
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
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, agency_code);

DROP TABLE IF EXISTS {db}.{mv_portal_hourly};
CREATE MATERIALIZED VIEW {db}.{mv_portal_hourly} TO {q.agg_portal_hourly} AS
SELECT
    toStartOfHour(occurred_at) AS hour,
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
GROUP BY hour, agency_code;
