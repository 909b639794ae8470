-- Business-registration dossiers kept by the dossier workers per local day of their first
-- resolution (streams/dossier/business.py), so v_business_registration reads the days a
-- query asks for instead of all of dossier_state FINAL. One row per cell (day, agency,
-- area) and dossier under the state's version (the highest wins); present = 0 in the
-- cells a dossier has left (a late event that moves its day, an agency change, a procedure
-- that is no longer business registration).
CREATE TABLE IF NOT EXISTS {q.business_registration_daily}
(
    day Date,
    agency_code String,
    area_code String,
    dossier_id String,
    present UInt8,
    procedure_code String,
    status String,
    received_at Nullable(DateTime),
    resolved_at Nullable(DateTime),
    due_at Nullable(DateTime),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, agency_code, area_code, dossier_id);
