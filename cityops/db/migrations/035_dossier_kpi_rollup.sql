-- v_dossier_daily without deduplicating every dossier of the range at each query (issue 11).
-- dossier_kpi_daily_rollup: the per-cell sums of dossier_kpi_daily for a settled local day,
-- written by `cityops db compact` (cityops/db/dossier_rollup.py) under the time it started,
-- the latest roll of a cell winning. dossier_kpi_day_status: per day, whether its latest
-- news is a roll (rolled = 1, from the compaction) or a row arriving (rolled = 0, from a
-- materialized view of every block the workers insert); `version` orders them, an arrival
-- winning a tie with a roll of the same second. v_dossier_daily reads the rollup for the
-- days whose latest news is a roll, and the per-dossier rows for the others (today,
-- yesterday, a day a late event changed since its roll, all of them if compaction never
-- ran). The days holding rows before the materialized view existed are recorded as arrived
-- at the epoch (after it was created, with the workers stopped as an upgrade asks: no
-- insert falls between the two; any roll is later), so every day with rows has a status
-- and the view can pick each branch's days with an IN the primary key serves.
CREATE TABLE IF NOT EXISTS {q.dossier_kpi_daily_rollup}
(
    day Date,
    agency_code String,
    area_code String,
    received UInt64,
    online_received UInt64,
    full_online_received UInt64,
    resolved UInt64,
    resolved_on_time UInt64,
    resolved_late UInt64,
    processing_seconds Int64,
    processing_count UInt64,
    rolled_at DateTime
)
ENGINE = ReplacingMergeTree(rolled_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, area_code);

CREATE TABLE IF NOT EXISTS {q.dossier_kpi_day_status}
(
    day Date,
    rolled UInt8,
    at DateTime,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{mv_dossier_kpi_day_status}
TO {q.dossier_kpi_day_status} AS
SELECT day, toUInt8(0) AS rolled, now() AS at, toUInt64(toUInt32(now())) * 2 + 1 AS version
FROM {q.dossier_kpi_daily}
GROUP BY day;

INSERT INTO {q.dossier_kpi_day_status} (day, rolled, at, version)
SELECT DISTINCT day, toUInt8(0), toDateTime(0), toUInt64(1)
FROM {q.dossier_kpi_daily};
