-- The reader's own database (cityops/db/databases.py): ClickHouse 18.16 grants by database
-- only, and refuses a view over a database its user may not open, so the read-API views and
-- every table they read move into {api_db}; the raw events, dossier_state, dead letters and
-- the bookkeeping stay in {db}, which the reader may not open. No table here holds personal
-- data in the clear (docs/operations.md, "What the reader can see").
CREATE DATABASE IF NOT EXISTS {api_db};

-- The views of {db} go; `cityops db migrate` re-creates them in {api_db} from
-- cityops/db/views/ right after the migrations.
DROP TABLE IF EXISTS {db}.{v_dossier_minute};
DROP TABLE IF EXISTS {db}.{v_dossier_daily};
DROP TABLE IF EXISTS {db}.{v_dossier_open};
DROP TABLE IF EXISTS {db}.{v_payment_minute};
DROP TABLE IF EXISTS {db}.{v_payment_daily};
DROP TABLE IF EXISTS {db}.{v_portal_minute};
DROP TABLE IF EXISTS {db}.{v_portal_daily};
DROP TABLE IF EXISTS {db}.{v_alerts};
DROP TABLE IF EXISTS {db}.{v_pipeline_health};
DROP TABLE IF EXISTS {db}.{v_business_registration};

-- RENAME moves a table's parts (and, on a cluster, keeps its replication path): no copy.
-- There is no RENAME ... IF EXISTS on 18.16; `migrate` skips a RENAME an interrupted run
-- already did (source gone, target there).
RENAME TABLE {db}.{alerts} TO {q.alerts};
RENAME TABLE {db}.{consumer_lag} TO {q.consumer_lag};
RENAME TABLE {db}.{sink_health} TO {q.sink_health};
RENAME TABLE {db}.{ref_agencies} TO {q.ref_agencies};
RENAME TABLE {db}.{ref_areas} TO {q.ref_areas};
RENAME TABLE {db}.{ref_procedures} TO {q.ref_procedures};
RENAME TABLE {db}.{dossier_kpi_minute} TO {q.dossier_kpi_minute};
RENAME TABLE {db}.{dossier_kpi_daily} TO {q.dossier_kpi_daily};
RENAME TABLE {db}.{dossier_open} TO {q.dossier_open};
RENAME TABLE {db}.{agg_payment_minute} TO {q.agg_payment_minute};
RENAME TABLE {db}.{agg_payment_daily} TO {q.agg_payment_daily};
RENAME TABLE {db}.{agg_portal_minute} TO {q.agg_portal_minute};
RENAME TABLE {db}.{agg_portal_daily} TO {q.agg_portal_daily};
RENAME TABLE {db}.{agg_ingest_totals} TO {q.agg_ingest_totals};
RENAME TABLE {db}.{agg_ingest_second} TO {q.agg_ingest_second};

-- A materialized view keeps the name of its TO table, not the table: each one is re-created
-- writing into the moved aggregate (the SELECTs are those of 006 and 007, unchanged). An
-- insert into a raw table between the RENAME above and its view's re-creation fails and the
-- worker retries it; the aggregates are lattices, so the retry counts nothing twice.
DROP TABLE IF EXISTS {db}.{mv_payment_minute};
CREATE MATERIALIZED VIEW {db}.{mv_payment_minute} TO {q.agg_payment_minute} AS
SELECT
    toStartOfMinute(occurred_at) AS minute,
    agency_code,
    area_code,
    payment_id,
    maxState(toUInt8(status = 'initiated')) AS initiated,
    maxState(toUInt8(status = 'succeeded')) AS succeeded,
    maxState(toUInt8(status = 'failed')) AS failed,
    maxState(toUInt8(status = 'refunded')) AS refunded,
    argMaxIfState(amount_vnd, tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_amount,
    argMaxIfState(toUInt8(method != 'cash'), tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_cashless
FROM {db}.{payment_events}
GROUP BY minute, agency_code, area_code, payment_id;
DROP TABLE IF EXISTS {db}.{mv_payment_daily};
CREATE MATERIALIZED VIEW {db}.{mv_payment_daily} TO {q.agg_payment_daily} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    agency_code,
    area_code,
    payment_id,
    maxState(toUInt8(status = 'initiated')) AS initiated,
    maxState(toUInt8(status = 'succeeded')) AS succeeded,
    maxState(toUInt8(status = 'failed')) AS failed,
    maxState(toUInt8(status = 'refunded')) AS refunded,
    argMaxIfState(amount_vnd, tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_amount,
    argMaxIfState(toUInt8(method != 'cash'), tuple(occurred_ms, event_id), status = 'succeeded')
        AS succeeded_cashless
FROM {db}.{payment_events}
GROUP BY day, agency_code, area_code, payment_id;
DROP TABLE IF EXISTS {db}.{mv_portal_minute};
CREATE MATERIALIZED VIEW {db}.{mv_portal_minute} TO {q.agg_portal_minute} AS
SELECT
    toStartOfMinute(occurred_at) AS minute,
    ifNull(agency_code, '') AS agency_code,
    uniqExactIfState(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
    uniqExactIfState(event_id, kind = 'submission_started') AS submissions_started,
    uniqExactIfState(event_id, kind = 'submission_completed') AS submissions_completed,
    uniqExactIfState(event_id, kind = 'rating_submitted') AS ratings,
    uniqExactIfState(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
        AS satisfied_ratings,
    uniqExactIfState(event_id, kind = 'feedback_submitted') AS feedbacks,
    uniqExactIfState(event_id, kind = 'account_registered') AS accounts_registered
FROM {db}.{portal_events}
GROUP BY minute, agency_code;
DROP TABLE IF EXISTS {db}.{mv_portal_daily};
CREATE MATERIALIZED VIEW {db}.{mv_portal_daily} TO {q.agg_portal_daily} AS
SELECT
    toDate(toTimeZone(occurred_at, '{tz}')) AS day,
    ifNull(agency_code, '') AS agency_code,
    uniqExactIfState(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
    uniqExactIfState(event_id, kind = 'submission_started') AS submissions_started,
    uniqExactIfState(event_id, kind = 'submission_completed') AS submissions_completed,
    uniqExactIfState(event_id, kind = 'rating_submitted') AS ratings,
    uniqExactIfState(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
        AS satisfied_ratings,
    uniqExactIfState(event_id, kind = 'feedback_submitted') AS feedbacks,
    uniqExactIfState(event_id, kind = 'account_registered') AS accounts_registered
FROM {db}.{portal_events}
GROUP BY day, agency_code;
DROP TABLE IF EXISTS {db}.{mv_ingest_totals_dossier};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_dossier} TO {q.agg_ingest_totals} AS
SELECT '{dossier_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{dossier_events} GROUP BY topic, source;
DROP TABLE IF EXISTS {db}.{mv_ingest_totals_payment};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_payment} TO {q.agg_ingest_totals} AS
SELECT '{payment_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{payment_events} GROUP BY topic, source;
DROP TABLE IF EXISTS {db}.{mv_ingest_totals_portal};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_portal} TO {q.agg_ingest_totals} AS
SELECT '{portal_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{portal_events} GROUP BY topic, source;
DROP TABLE IF EXISTS {db}.{mv_ingest_totals_deadletters};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_deadletters} TO {q.agg_ingest_totals} AS
SELECT ifNull(topic, '') AS topic, source, maxState(toDateTime(0)) AS last_occurred,
       maxState(toDateTime(0)) AS last_ingested,
       uniqExactIfState(concat(toString(toUInt32(at)), ':',
                               toString(cityHash64(original, reason))), toUInt8(1))
           AS deadletters
FROM {db}.{deadletters} GROUP BY topic, source;
DROP TABLE IF EXISTS {db}.{mv_ingest_second_dossier};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_dossier} TO {q.agg_ingest_second} AS
SELECT '{dossier_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{dossier_events} GROUP BY topic, source, second;
DROP TABLE IF EXISTS {db}.{mv_ingest_second_payment};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_payment} TO {q.agg_ingest_second} AS
SELECT '{payment_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{payment_events} GROUP BY topic, source, second;
DROP TABLE IF EXISTS {db}.{mv_ingest_second_portal};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_portal} TO {q.agg_ingest_second} AS
SELECT '{portal_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{portal_events} GROUP BY topic, source, second;
DROP TABLE IF EXISTS {db}.{mv_ingest_second_deadletters};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_deadletters} TO {q.agg_ingest_second} AS
SELECT ifNull(topic, '') AS topic, source, ingested_at AS second,
       uniqExactIfState('', toUInt8(0)) AS events,
       uniqExactIfState(concat(toString(toUInt32(at)), ':',
                               toString(cityHash64(original, reason))), toUInt8(1))
           AS deadletters
FROM {db}.{deadletters} GROUP BY topic, source, second;

-- v_business_registration read dossier_state, which stays in {db}: the columns it reads, of
-- business registration dossiers only, are copied into {api_db} as the workers write the
-- state (the highest version wins, as in dossier_state), and the history once below
-- (re-runnable: a row copied twice is replaced by itself).
CREATE TABLE IF NOT EXISTS {q.dossier_business_registration}
(
    dossier_id String,
    agency_code String,
    area_code String,
    procedure_code String,
    field_code String,
    status String,
    received_at Nullable(DateTime),
    due_at Nullable(DateTime),
    first_resolved_event_at Nullable(DateTime),
    resolved_at Nullable(DateTime),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY dossier_id;

DROP TABLE IF EXISTS {db}.{mv_business_registration};
CREATE MATERIALIZED VIEW {db}.{mv_business_registration} TO {q.dossier_business_registration} AS
SELECT dossier_id, agency_code, area_code, procedure_code, field_code, status, received_at,
       due_at, first_resolved_event_at, resolved_at, version
FROM {db}.{dossier_state}
WHERE field_code = '{business_registration_field}';

INSERT INTO {q.dossier_business_registration}
SELECT dossier_id, agency_code, area_code, procedure_code, field_code, status, received_at,
       due_at, first_resolved_event_at, resolved_at, version
FROM {db}.{dossier_state}
WHERE field_code = '{business_registration_field}';
