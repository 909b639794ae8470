-- Open dossiers, read from dossier_open (only dossiers that are or were open; closing rows
-- are compacted away by cityops/db/open_dossiers.py), with how overdue each one is.
SELECT
    dossier_id,
    agency_code,
    agency_name,
    area_code,
    area_name,
    procedure_code,
    procedure_name,
    field_code,
    status,
    channel,
    online_level,
    received_event_at,
    received_at,
    due_at,
    toUInt8(ifNull(now() > due_at, 0)) AS is_overdue,
    if(is_overdue = 1, (toInt64(now()) - toInt64(assumeNotNull(due_at))) / 3600, 0)
        AS hours_overdue
FROM {db}.{dossier_open} FINAL
WHERE closed = 0 AND isNotNull(received_event_at)
