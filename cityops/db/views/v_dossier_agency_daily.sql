-- v_dossier_daily's figures per local day in {tz} and agency, without the area: what the
-- panels over agencies read (the wall's 766 score, agencies by on-time rate, the daily
-- trends). A settled day rolled after its last row arrived is read from its per-agency sums
-- (dossier_kpi_agency_rollup, migration 037, the latest roll of each agency); every other
-- day per dossier, exactly as v_dossier_daily (whose comments say why each choice), with the
-- dossier's (day, agency, area) cell as the key of its latest row, then summed per agency.
-- A country's 30 days: ~33,000 rolled rows and two days per dossier, not ~2.2 M cells.
SELECT
    day,
    agency_code,
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
    SELECT day, agency_code,
           argMax(received, rolled_at) AS latest_received,
           argMax(online_received, rolled_at) AS latest_online_received,
           argMax(full_online_received, rolled_at) AS latest_full_online_received,
           argMax(resolved, rolled_at) AS latest_resolved,
           argMax(resolved_on_time, rolled_at) AS latest_resolved_on_time,
           argMax(resolved_late, rolled_at) AS latest_resolved_late,
           argMax(processing_seconds, rolled_at) AS latest_processing_seconds,
           argMax(processing_count, rolled_at) AS latest_processing_count
    FROM {db}.{dossier_kpi_agency_rollup}
    WHERE day IN
    (
        SELECT day FROM {db}.{dossier_kpi_day_status}
        GROUP BY day HAVING argMax(rolled, version) = 1
    )
    GROUP BY day, agency_code
    UNION ALL
    SELECT day, agency_code,
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
GROUP BY day, agency_code
HAVING received != 0 OR resolved != 0
