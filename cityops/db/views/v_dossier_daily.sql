-- Dossier figures per local day in {tz}, agency and area: v_dossier_minute's rule over the
-- daily cells, plus the average processing time.
-- One argMax per figure, not an argMax of a tuple: 18.16 aggregates tuples about 3.5x
-- slower (a province's 30 days, make bench-queries).
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
    SELECT day, agency_code, area_code, dossier_id,
           argMax(received, version) AS latest_received,
           argMax(online_received, version) AS latest_online_received,
           argMax(full_online_received, version) AS latest_full_online_received,
           argMax(resolved, version) AS latest_resolved,
           argMax(resolved_on_time, version) AS latest_resolved_on_time,
           argMax(resolved_late, version) AS latest_resolved_late,
           argMax(processing_seconds, version) AS latest_processing_seconds,
           argMax(processing_count, version) AS latest_processing_count
    FROM {db}.{dossier_kpi_daily}
    GROUP BY day, agency_code, area_code, dossier_id
)
GROUP BY day, agency_code, area_code
HAVING received != 0 OR resolved != 0
