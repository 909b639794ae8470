-- Business registration (field {business_registration_field}) against its target: the
-- province promises 1.5 working days, the procedure's `working_days` in ref_procedures.
-- processing_hours is calendar time received -> resolved; the target in hours assumes
-- 24 hours per working day, so weekends and holidays in between make a dossier look slower
-- than it was: compare within_due (the source's own working-day due date) for the official
-- figure.
-- Reads the dossier workers' rows per day of first resolution (business_registration_daily,
-- migration 030), so a range of days reads those days only; each (cell, dossier)'s latest
-- row by argMax (not FINAL, which 18.16 does not combine with a pushed-down range); rows
-- with present = 0 are cells a dossier has left. argMax skips NULLs of the Nullable times;
-- a time once known stays known in the state, so that is the latest row's value.
SELECT
    dossier_id,
    agency_code,
    area_code,
    listed_procedure AS procedure_code,
    latest_status AS status,
    latest_received_at AS received_at,
    latest_resolved_at AS resolved_at,
    latest_due_at AS due_at,
    day,
    (toInt64(assumeNotNull(resolved_at)) - toInt64(assumeNotNull(received_at))) / 3600
        AS processing_hours,
    target_working_days,
    toUInt8(ifNull(resolved_at <= due_at, 0)) AS within_due
FROM
(
    SELECT day, agency_code, area_code, dossier_id,
           argMax(present, version) AS latest_present,
           argMax(procedure_code, version) AS listed_procedure,
           argMax(status, version) AS latest_status,
           argMax(received_at, version) AS latest_received_at,
           argMax(resolved_at, version) AS latest_resolved_at,
           argMax(due_at, version) AS latest_due_at
    FROM {db}.{business_registration_daily}
    GROUP BY day, agency_code, area_code, dossier_id
    HAVING latest_present = 1
) AS dossiers
ANY LEFT JOIN
(
    SELECT procedure_code AS listed_procedure, working_days AS target_working_days
    FROM {db}.{ref_procedures}
) AS targets USING listed_procedure
