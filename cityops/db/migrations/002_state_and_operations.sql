-- What the workers derive and what keeps the pipeline observable.

-- One row per dossier, rewritten after every change; the highest version (the number of
-- distinct events seen) wins. No partition key: the row must replace across months.
CREATE TABLE IF NOT EXISTS {db}.{dossier_state}
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

-- One row per alert state change; version is the change's epoch milliseconds.
CREATE TABLE IF NOT EXISTS {db}.{alerts}
(
    event_id String,
    event_type String,
    occurred_at DateTime,
    source String,
    schema_version UInt8,
    alert_id String,
    kind String,
    severity String,
    state String,
    subject String,
    agency_code Nullable(String),
    message String,
    message_en String,
    opened_at DateTime,
    resolved_at Nullable(DateTime),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (alert_id, opened_at);

-- Rejected input, kept whole; a dead letter written twice (a retried insert) merges away.
CREATE TABLE IF NOT EXISTS {db}.{deadletters}
(
    source String,
    reason String,
    stage String,
    topic Nullable(String),
    at DateTime,
    original String,
    ingested_at DateTime
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (source, at, cityHash64(original, reason));

-- The latest lag sample per topic partition and worker (consumer group).
CREATE TABLE IF NOT EXISTS {db}.{consumer_lag}
(
    worker String,
    topic String,
    partition UInt32,
    lag Int64,
    committed Int64,
    end_offset Int64,
    at DateTime
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (topic, partition, worker);
