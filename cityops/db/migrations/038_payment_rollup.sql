-- Payments without merging every payment of the range at each query (issue 11, country
-- volume): agg_payment_daily holds one row of states per (local day, agency, area, payment),
-- so a country's 30 days are ~830,000 payments to merge (3.8-4.7 s per panel on 18.16). The
-- scheme of the dossier KPIs (035, 037), rolled by the same code (cityops/db/day_rollup.py,
-- cityops/db/payment_rollup.py): `cityops db compact` writes a settled day's figures summed
-- per cell (payment_daily_rollup, read by v_payment_daily) and per agency
-- (payment_agency_rollup, read by v_payment_agency_daily: a country's cells hold about one
-- payment each), under the time it started, the latest roll of a key winning.
-- payment_day_status: per day, whether its latest news is a roll (rolled = 1) or a payment
-- event arriving (rolled = 0, from a materialized view of every block inserted into
-- payment_events, next to mv_payment_daily: 18.16 does not run a materialized view over
-- agg_payment_daily for the rows another view writes there); the views read the rollups for
-- the days whose latest news is a roll, and each payment's states for the others (today,
-- yesterday, a day a late event changed since its roll, all of them if compaction never
-- ran). The days holding payments before the materialized view existed (in the aggregate,
-- or only in the raw table when the upgrade comes from before 006 and the backfill fills
-- the aggregate next) are recorded as arrived at the epoch (with the workers stopped, as
-- an upgrade asks, no insert falls between the two; any roll is later), so `cityops db
-- migrate`'s backfill rolls them once.
CREATE TABLE IF NOT EXISTS {q.payment_daily_rollup}
(
    day Date,
    agency_code String,
    area_code String,
    initiated UInt64,
    succeeded UInt64,
    failed UInt64,
    refunded UInt64,
    amount_vnd UInt64,
    cashless_succeeded UInt64,
    cashless_amount_vnd UInt64,
    rolled_at DateTime
)
ENGINE = ReplacingMergeTree(rolled_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, area_code);

CREATE TABLE IF NOT EXISTS {q.payment_agency_rollup}
(
    day Date,
    agency_code String,
    initiated UInt64,
    succeeded UInt64,
    failed UInt64,
    refunded UInt64,
    amount_vnd UInt64,
    cashless_succeeded UInt64,
    cashless_amount_vnd UInt64,
    rolled_at DateTime
)
ENGINE = ReplacingMergeTree(rolled_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code);

CREATE TABLE IF NOT EXISTS {q.payment_day_status}
(
    day Date,
    rolled UInt8,
    at DateTime,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{mv_payment_day_status}
TO {q.payment_day_status} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    toUInt8(0) AS rolled,
    now() AS at,
    toUInt64(toUInt32(now())) * 2 + 1 AS version
FROM {db}.{payment_events}
GROUP BY day;

INSERT INTO {q.payment_day_status} (day, rolled, at, version)
SELECT DISTINCT day, toUInt8(0), toDateTime(0), toUInt64(1)
FROM {q.agg_payment_daily};

INSERT INTO {q.payment_day_status} (day, rolled, at, version)
SELECT DISTINCT toDate(toTimeZone(occurred_at, '{tz}')), toUInt8(0), toDateTime(0), toUInt64(1)
FROM {db}.{payment_events};

-- The providers table over a range (dashboards/panels/payment.py): 022's per-minute states
-- hold about one payment per (minute, agency, area, provider, reason) at a country (30 days:
-- ~870,000 rows, 442 MiB of states). Per local day and agency, without the area, a day is a
-- few thousand rows whatever the traffic; the panel merges the whole days of its range from
-- here and its two partial edge days from the minutes, the same uniqExactIf states of
-- payment ids (so a payment counts once over the range, wherever its events fall). Like 022,
-- kept by ClickHouse from every insert and backfilled once from the history.
CREATE TABLE IF NOT EXISTS {q.agg_payment_provider_daily}
(
    day Date,
    agency_code String,
    provider String,
    failure_reason String,
    succeeded AggregateFunction(uniqExactIf, String, UInt8),
    failed AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, provider, failure_reason);

DROP TABLE IF EXISTS {db}.{mv_payment_provider_daily};
CREATE MATERIALIZED VIEW {db}.{mv_payment_provider_daily} TO {q.agg_payment_provider_daily} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    agency_code,
    provider,
    ifNull(failure_reason, '') AS failure_reason,
    uniqExactIfState(payment_id, status = 'succeeded') AS succeeded,
    uniqExactIfState(payment_id, status = 'failed') AS failed
FROM {db}.{payment_events}
GROUP BY day, agency_code, provider, failure_reason;
