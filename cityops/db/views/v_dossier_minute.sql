-- Dossier figures per minute (UTC), agency and area, summed from the workers' KPI cells
-- (streams/dossier/kpis.py). Each (cell, dossier)'s latest row is taken with argMax by
-- version rather than FINAL: ClickHouse 18.16 does not push a WHERE into a view whose
-- query reads FINAL, so FINAL would make every range read the whole table.
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
HAVING received != 0 OR resolved != 0
