-- Dossier figures per minute (UTC), agency and area, summed from the workers' KPI cells
-- (streams/dossier/kpis.py). Each (cell, dossier)'s latest row is taken with argMax by
-- version rather than FINAL: ClickHouse 18.16 does not push a WHERE into a view whose
-- query reads FINAL, so FINAL would make every range read the whole table.
-- One argMax per figure, not an argMax of a tuple: 18.16 aggregates tuples about 3.5x
-- slower (a province's 30 days, make bench-queries).
-- Deduplicated on the four columns, not on (minute, cityHash64(agency_code, area_code,
-- dossier_id)) with any() for the names: measured on 18.16 (bench-queries data, 30 days,
-- 2026-11-30), the hash key cost the same CPU (within 5%: the names then go through any()
-- and the outer GROUP BY anyway), and it hides agency_code and area_code from a panel's
-- pushed-down filter, so a drill-down to one agency read every row of the range instead of
-- that agency's part of the sorting key (same key as v_dossier_daily, measured there on the
-- country: 2.9 M rows and 3.7 s of CPU instead of 1.0 M rows and 0.12 s). Exact, and no
-- collision to reason about.
SELECT
    minute,
    agency_code,
    area_code,
    toUInt64(sum(latest_received)) AS received,
    toUInt64(sum(latest_online_received)) AS online_received,
    toUInt64(sum(latest_full_online_received)) AS full_online_received,
    toUInt64(sum(latest_resolved)) AS resolved,
    toUInt64(sum(latest_resolved_on_time)) AS resolved_on_time,
    toUInt64(sum(latest_resolved_late)) AS resolved_late,
    sum(latest_processing_seconds) / 3600 AS processing_hours_sum,
    toUInt64(sum(latest_processing_count)) AS processing_hours_count
FROM
(
    SELECT minute, agency_code, area_code, dossier_id,
           argMax(received, version) AS latest_received,
           argMax(online_received, version) AS latest_online_received,
           argMax(full_online_received, version) AS latest_full_online_received,
           argMax(resolved, version) AS latest_resolved,
           argMax(resolved_on_time, version) AS latest_resolved_on_time,
           argMax(resolved_late, version) AS latest_resolved_late,
           argMax(processing_seconds, version) AS latest_processing_seconds,
           argMax(processing_count, version) AS latest_processing_count
    FROM {db}.{dossier_kpi_minute}
    GROUP BY minute, agency_code, area_code, dossier_id
)
GROUP BY minute, agency_code, area_code
HAVING received != 0 OR resolved != 0
