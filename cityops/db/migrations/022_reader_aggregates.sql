-- What two dashboards read from raw tables the reader may no longer open (021): the payment
-- providers table (payment_events) and the dead-letter panels (deadletters). Both now read
-- small aggregates in {api_db}, kept by ClickHouse from every insert like those of 006 and
-- 007, and backfilled once from the history by `cityops db migrate`. Neither holds personal
-- data: payment ids and dead letters' identities are kept as uniqExact sets (128-bit hashes),
-- and a dead letter's reason names the field and the rule, never the value (docs/contract.md).

-- Per (minute, agency, area, provider, failure reason): the distinct payments that
-- succeeded and failed, as states, so a range's figures count each payment once however
-- many minutes and reasons its events spread over.
CREATE TABLE IF NOT EXISTS {q.agg_payment_provider_minute}
(
    minute DateTime,
    agency_code String,
    area_code String,
    provider String,
    failure_reason String,
    succeeded AggregateFunction(uniqExactIf, String, UInt8),
    failed AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, agency_code, area_code, provider, failure_reason);

DROP TABLE IF EXISTS {db}.{mv_payment_provider_minute};
CREATE MATERIALIZED VIEW {db}.{mv_payment_provider_minute} TO {q.agg_payment_provider_minute} AS
SELECT
    toStartOfMinute(occurred_at) AS minute,
    agency_code,
    area_code,
    provider,
    ifNull(failure_reason, '') AS failure_reason,
    uniqExactIfState(payment_id, status = 'succeeded') AS succeeded,
    uniqExactIfState(payment_id, status = 'failed') AS failed
FROM {db}.{payment_events}
GROUP BY minute, agency_code, area_code, provider, failure_reason;

-- Per (minute, source, stage, reason): the distinct dead letters (their identity as in 007:
-- time and a hash of the bytes and reason) and the latest one's time.
CREATE TABLE IF NOT EXISTS {q.agg_deadletter_minute}
(
    minute DateTime,
    source String,
    stage String,
    reason String,
    letters AggregateFunction(uniqExact, String),
    last_at AggregateFunction(max, DateTime)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, source, stage, reason);

DROP TABLE IF EXISTS {db}.{mv_deadletter_minute};
CREATE MATERIALIZED VIEW {db}.{mv_deadletter_minute} TO {q.agg_deadletter_minute} AS
SELECT
    toStartOfMinute(at) AS minute,
    source,
    stage,
    reason,
    uniqExactState(concat(toString(toUInt32(at)), ':', toString(cityHash64(original, reason))))
        AS letters,
    maxState(at) AS last_at
FROM {db}.{deadletters}
GROUP BY minute, source, stage, reason;
