-- Dossier figures per local day in {tz}, agency and area: v_dossier_minute's rule over the
-- daily cells, plus the average processing time.
-- A settled day rolled by `cityops db compact` after its last row arrived is read from its
-- per-cell sums (dossier_kpi_daily_rollup, the latest roll of each cell); every other day
-- (today, yesterday, a day a late event changed since its roll, all of them if compaction
-- never ran) from each dossier's latest row in the cells (cityops/db/dossier_rollup.py).
-- Which days are rolled is decided inside the view, from a table of about one row per day
-- (dossier_kpi_day_status: every day holding rows has one, migration 035), and both branches
-- select their days with IN, which the primary key serves (NOT IN would read the whole
-- range): a range costs its cells, not its dossiers (a province's 30 days: ~6,000 rows of
-- the rollup, not ~75,000).
-- One argMax per figure, not an argMax of a tuple: 18.16 aggregates tuples about 3.5x
-- slower (a province's 30 days, make bench-queries).
-- Deduplicated on the four columns, not on (day, cityHash64(agency_code, area_code,
-- dossier_id)) with any() for the names: measured on 18.16 (bench-queries data, 30 days,
-- 2026-11-30), the hash key cost the same CPU (within 5%: the names then go through any()
-- and the outer GROUP BY anyway), and it hides agency_code and area_code from a panel's
-- pushed-down filter, so a drill-down to one agency read every row of the range instead of
-- that agency's part of the sorting key (country: 2.9 M rows and 3.7 s of CPU instead of
-- 1.0 M rows and 0.12 s). Exact, and no collision to reason about.
SELECT
    day,
    agency_code,
    area_code,
    toUInt64(sum(latest_received)) AS received,
    toUInt64(sum(latest_online_received)) AS online_received,
    toUInt64(sum(latest_full_online_received)) AS full_online_received,
    toUInt64(sum(latest_resolved)) AS resolved,
    toUInt64(sum(latest_resolved_on_time)) AS resolved_on_time,
    toUInt64(sum(latest_resolved_late)) AS resolved_late,
    sum(latest_processing_seconds) / 3600 AS processing_hours_sum,
    toUInt64(sum(latest_processing_count)) AS processing_hours_count,
    if(processing_hours_count = 0, NULL, processing_hours_sum / processing_hours_count)
        AS avg_processing_hours
FROM
(
    SELECT day, agency_code, area_code,
           argMax(received, rolled_at) AS latest_received,
           argMax(online_received, rolled_at) AS latest_online_received,
           argMax(full_online_received, rolled_at) AS latest_full_online_received,
           argMax(resolved, rolled_at) AS latest_resolved,
           argMax(resolved_on_time, rolled_at) AS latest_resolved_on_time,
           argMax(resolved_late, rolled_at) AS latest_resolved_late,
           argMax(processing_seconds, rolled_at) AS latest_processing_seconds,
           argMax(processing_count, rolled_at) AS latest_processing_count
    FROM {db}.{dossier_kpi_daily_rollup}
    WHERE day IN
    (
        SELECT day FROM {db}.{dossier_kpi_day_status}
        GROUP BY day HAVING argMax(rolled, version) = 1
    )
    GROUP BY day, agency_code, area_code
    UNION ALL
    SELECT day, agency_code, area_code,
           toUInt64(argMax(received, version)) AS latest_received,
           toUInt64(argMax(online_received, version)) AS latest_online_received,
           toUInt64(argMax(full_online_received, version)) AS latest_full_online_received,
           toUInt64(argMax(resolved, version)) AS latest_resolved,
           toUInt64(argMax(resolved_on_time, version)) AS latest_resolved_on_time,
           toUInt64(argMax(resolved_late, version)) AS latest_resolved_late,
           argMax(processing_seconds, version) AS latest_processing_seconds,
           toUInt64(argMax(processing_count, version)) AS latest_processing_count
    FROM {db}.{dossier_kpi_daily}
    WHERE day IN
    (
        SELECT day FROM {db}.{dossier_kpi_day_status}
        GROUP BY day HAVING argMax(rolled, version) = 0
    )
    GROUP BY day, agency_code, area_code, dossier_id
)
GROUP BY day, agency_code, area_code
HAVING received != 0 OR resolved != 0
