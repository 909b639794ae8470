-- Business registration (field {business_registration_field}) against its target: the
-- province promises 1.5 working days, the procedure's `working_days` in ref_procedures.
-- processing_hours is calendar time received -> resolved; the target in hours assumes
-- 24 hours per working day, so weekends and holidays in between make a dossier look slower
-- than it was: compare within_due (the source's own working-day due date) for the official
-- figure.
SELECT
    dossier_id,
    agency_code,
    area_code,
    procedure_code,
    status,
    received_at,
    resolved_at,
    due_at,
    toDate(toTimeZone(assumeNotNull(first_resolved_event_at), '{tz}')) AS day,
    (toInt64(assumeNotNull(resolved_at)) - toInt64(assumeNotNull(received_at))) / 3600
        AS processing_hours,
    target_working_days,
    toUInt8(ifNull(resolved_at <= due_at, 0)) AS within_due
FROM
(
    SELECT *
    FROM {db}.{dossier_business_registration} FINAL
    WHERE field_code = '{business_registration_field}'
        AND isNotNull(first_resolved_event_at)
        AND isNotNull(received_at)
) AS dossiers
ANY LEFT JOIN
(
    SELECT procedure_code, working_days AS target_working_days
    FROM {db}.{ref_procedures}
) AS targets USING procedure_code
