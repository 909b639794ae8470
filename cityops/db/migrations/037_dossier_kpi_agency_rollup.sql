-- v_dossier_agency_daily (issue 11, country volume): migration 035's rollup of settled days
-- per (day, agency), without the area. At a country's cardinality a (day, agency, area) cell
-- holds about one dossier (one year: 26.8 M cells for 38.4 M per-dossier rows), so the
-- panels over every agency read ~2.2 M rows for 30 days through v_dossier_daily; per
-- (day, agency) a day is ~1,100 rows. Written by the same roll as dossier_kpi_daily_rollup
-- (cityops/db/dossier_rollup.py), from the same per-dossier rows, under the same stamp, the
-- latest roll of a cell winning; which days are rolled is dossier_kpi_day_status, as for
-- v_dossier_daily.
CREATE TABLE IF NOT EXISTS {q.dossier_kpi_agency_rollup}
(
    day Date,
    agency_code String,
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
ORDER BY (day, agency_code);

-- The days rolled before this table existed have no rows in it: they count as changed
-- (a row arriving now, which wins over every earlier roll), so both views read them per
-- dossier, exact, until the next roll (`cityops db migrate` backfills it at once, then
-- every `cityops db compact`) writes both tables.
INSERT INTO {q.dossier_kpi_day_status} (day, rolled, at, version)
SELECT DISTINCT day, toUInt8(0), now(), toUInt64(toUInt32(now())) * 2 + 1
FROM {q.dossier_kpi_day_status};
