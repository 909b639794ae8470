-- Raw events, one table per source topic. A replayed or re-sent event has the same
-- event_id and the same occurred_at, so it lands in the same partition with the same
-- sorting key and ReplacingMergeTree merges the copies away. Until the merge happens the
-- views count by construction (uniqExact / GROUP BY), never by row.
CREATE TABLE IF NOT EXISTS {db}.{dossier_events}
(
    event_id String,
    event_type String,
    occurred_at DateTime,
    occurred_ms UInt64,
    source String,
    schema_version UInt8,
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
    applicant_ref String,
    received_at Nullable(DateTime),
    due_at Nullable(DateTime),
    resolved_at Nullable(DateTime),
    ingested_at DateTime,
    kafka_partition UInt16,
    kafka_offset UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (dossier_id, event_id);

CREATE TABLE IF NOT EXISTS {db}.{payment_events}
(
    event_id String,
    event_type String,
    occurred_at DateTime,
    occurred_ms UInt64,
    source String,
    schema_version UInt8,
    payment_id String,
    dossier_id Nullable(String),
    status String,
    method String,
    amount_vnd UInt64,
    fee_type String,
    agency_code String,
    area_code String,
    provider String,
    failure_reason Nullable(String),
    ingested_at DateTime,
    kafka_partition UInt16,
    kafka_offset UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (agency_code, occurred_at, payment_id, event_id);

CREATE TABLE IF NOT EXISTS {db}.{portal_events}
(
    event_id String,
    event_type String,
    occurred_at DateTime,
    occurred_ms UInt64,
    source String,
    schema_version UInt8,
    kind String,
    session_id Nullable(String),
    procedure_code Nullable(String),
    agency_code Nullable(String),
    rating Nullable(UInt8),
    device String,
    ingested_at DateTime,
    kafka_partition UInt16,
    kafka_offset UInt64
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (kind, occurred_at, event_id);
