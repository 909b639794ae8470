-- Open dossiers in a table of their own, so v_dossier_open reads the open ones and not every
-- dossier ever. The dossier workers write a dossier's state row here while it is open and
-- once more when it closes (the closing row replaces the open one: ReplacingMergeTree by
-- version); `compact_open` (cityops/db/open_dossiers.py), run by the workers every
-- 10 minutes, merges the table and deletes closing rows older than an hour.
CREATE TABLE IF NOT EXISTS {db}.{dossier_open}
(
    dossier_id String,
    status String,
    procedure_code String,
    procedure_name String,
    field_code String,
    agency_code String,
    agency_name String,
    area_code String,
    area_name String,
    channel String,
    online_level String,
    applicant_type String,
    received_event_at Nullable(DateTime),
    received_at Nullable(DateTime),
    due_at Nullable(DateTime),
    first_resolved_event_at Nullable(DateTime),
    resolved_at Nullable(DateTime),
    closed UInt8,
    closed_at Nullable(DateTime),
    last_event_ms UInt64,
    version UInt64,
    updated_at DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY dossier_id;

DROP TABLE IF EXISTS {db}.{v_dossier_open};
CREATE VIEW {db}.{v_dossier_open} AS
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
WHERE closed = 0 AND isNotNull(received_event_at);
