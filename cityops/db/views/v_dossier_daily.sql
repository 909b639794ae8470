-- Dossier figures per local day in {tz}, agency and area: v_dossier_minute's rule over the
-- daily cells, plus the average processing time.
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
HAVING received != 0 OR resolved != 0
