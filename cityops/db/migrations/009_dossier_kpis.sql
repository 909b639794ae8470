-- Dossier KPIs kept by the workers from state transitions (streams/dossier/kpis.py) instead
-- of recomputed from all of dossier_state FINAL at every query. One row per cell (minute or
-- local day, agency, area) and dossier: its figures there, zeros once a change moved it
-- away, under the state's version (the highest wins). The views sum a range's cells.
CREATE TABLE IF NOT EXISTS {db}.{dossier_kpi_minute}
(
    minute DateTime,
    agency_code String,
    area_code String,
    dossier_id String,
    received UInt8,
    online_received UInt8,
    full_online_received UInt8,
    resolved UInt8,
    resolved_on_time UInt8,
    resolved_late UInt8,
    processing_seconds Int64,
    processing_count UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, agency_code, area_code, dossier_id);

CREATE TABLE IF NOT EXISTS {db}.{dossier_kpi_daily}
(
    day Date,
    agency_code String,
    area_code String,
    dossier_id String,
    received UInt8,
    online_received UInt8,
    full_online_received UInt8,
    resolved UInt8,
    resolved_on_time UInt8,
    resolved_late UInt8,
    processing_seconds Int64,
    processing_count UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, area_code, dossier_id);

-- Backfills done (name -> when); `cityops db migrate` skips those recorded.
CREATE TABLE IF NOT EXISTS {db}.{backfills}
(
    name String,
    done_at DateTime
)
ENGINE = ReplacingMergeTree()
ORDER BY name;

-- The views take each (cell, dossier)'s latest row with argMax by version rather than FINAL:
-- ClickHouse 18.16 does not push a WHERE into a view whose query reads FINAL, so FINAL
-- would make every range read the whole table.
DROP TABLE IF EXISTS {db}.{v_dossier_minute};
CREATE VIEW {db}.{v_dossier_minute} AS
SELECT
    minute,
    agency_code,
    area_code,
    toUInt64(sum(tupleElement(latest, 1))) AS received,
    toUInt64(sum(tupleElement(latest, 2))) AS online_received,
    toUInt64(sum(tupleElement(latest, 3))) AS full_online_received,
    toUInt64(sum(tupleElement(latest, 4))) AS resolved,
    toUInt64(sum(tupleElement(latest, 5))) AS resolved_on_time,
    toUInt64(sum(tupleElement(latest, 6))) AS resolved_late,
    sum(tupleElement(latest, 7)) / 3600 AS processing_hours_sum,
    toUInt64(sum(tupleElement(latest, 8))) AS processing_hours_count
FROM
(
    SELECT minute, agency_code, area_code, dossier_id,
           argMax(tuple(received, online_received, full_online_received, resolved,
                        resolved_on_time, resolved_late, processing_seconds,
                        processing_count), version) AS latest
    FROM {db}.{dossier_kpi_minute}
    GROUP BY minute, agency_code, area_code, dossier_id
)
GROUP BY minute, agency_code, area_code
HAVING received != 0 OR resolved != 0;

DROP TABLE IF EXISTS {db}.{v_dossier_daily};
CREATE VIEW {db}.{v_dossier_daily} AS
SELECT
    day,
    agency_code,
    area_code,
    toUInt64(sum(tupleElement(latest, 1))) AS received,
    toUInt64(sum(tupleElement(latest, 2))) AS online_received,
    toUInt64(sum(tupleElement(latest, 3))) AS full_online_received,
    toUInt64(sum(tupleElement(latest, 4))) AS resolved,
    toUInt64(sum(tupleElement(latest, 5))) AS resolved_on_time,
    toUInt64(sum(tupleElement(latest, 6))) AS resolved_late,
    sum(tupleElement(latest, 7)) / 3600 AS processing_hours_sum,
    toUInt64(sum(tupleElement(latest, 8))) AS processing_hours_count,
    if(processing_hours_count = 0, NULL, processing_hours_sum / processing_hours_count)
        AS avg_processing_hours
FROM
(
    SELECT day, agency_code, area_code, dossier_id,
           argMax(tuple(received, online_received, full_online_received, resolved,
                        resolved_on_time, resolved_late, processing_seconds,
                        processing_count), version) AS latest
    FROM {db}.{dossier_kpi_daily}
    GROUP BY day, agency_code, area_code, dossier_id
)
GROUP BY day, agency_code, area_code
HAVING received != 0 OR resolved != 0;
