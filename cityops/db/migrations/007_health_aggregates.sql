-- The pipeline's health from small aggregates instead of the raw tables: per topic and
-- source, the latest event and ingestion times and the distinct dead letters ever
-- (`agg_ingest_totals`, a few rows), and distinct events and dead letters per second of
-- ingestion (`agg_ingest_second`), of which v_pipeline_health reads the last 5 minutes.
-- Topics are stored as recorded (a namespaced test topic stays namespaced); the view folds
-- them onto the contract's names. A dead letter's identity is its time and a hash of its
-- bytes and reason, as before.
CREATE TABLE IF NOT EXISTS {db}.{agg_ingest_totals}
(
    topic String,
    source String,
    last_occurred AggregateFunction(max, DateTime),
    last_ingested AggregateFunction(max, DateTime),
    deadletters AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
ORDER BY (topic, source);

CREATE TABLE IF NOT EXISTS {db}.{agg_ingest_second}
(
    topic String,
    source String,
    second DateTime,
    events AggregateFunction(uniqExactIf, String, UInt8),
    deadletters AggregateFunction(uniqExactIf, String, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(second)
ORDER BY (topic, source, second);

DROP TABLE IF EXISTS {db}.{mv_ingest_totals_dossier};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_dossier} TO {db}.{agg_ingest_totals} AS
SELECT '{dossier_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{dossier_events} GROUP BY topic, source;

DROP TABLE IF EXISTS {db}.{mv_ingest_totals_payment};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_payment} TO {db}.{agg_ingest_totals} AS
SELECT '{payment_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{payment_events} GROUP BY topic, source;

DROP TABLE IF EXISTS {db}.{mv_ingest_totals_portal};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_portal} TO {db}.{agg_ingest_totals} AS
SELECT '{portal_topic}' AS topic, source, maxState(occurred_at) AS last_occurred,
       maxState(ingested_at) AS last_ingested,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{portal_events} GROUP BY topic, source;

DROP TABLE IF EXISTS {db}.{mv_ingest_totals_deadletters};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_totals_deadletters} TO {db}.{agg_ingest_totals} AS
SELECT ifNull(topic, '') AS topic, source, maxState(toDateTime(0)) AS last_occurred,
       maxState(toDateTime(0)) AS last_ingested,
       uniqExactIfState(concat(toString(toUInt32(at)), ':',
                               toString(cityHash64(original, reason))), toUInt8(1))
           AS deadletters
FROM {db}.{deadletters} GROUP BY topic, source;

DROP TABLE IF EXISTS {db}.{mv_ingest_second_dossier};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_dossier} TO {db}.{agg_ingest_second} AS
SELECT '{dossier_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{dossier_events} GROUP BY topic, source, second;

DROP TABLE IF EXISTS {db}.{mv_ingest_second_payment};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_payment} TO {db}.{agg_ingest_second} AS
SELECT '{payment_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{payment_events} GROUP BY topic, source, second;

DROP TABLE IF EXISTS {db}.{mv_ingest_second_portal};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_portal} TO {db}.{agg_ingest_second} AS
SELECT '{portal_topic}' AS topic, source, ingested_at AS second,
       uniqExactIfState(event_id, toUInt8(1)) AS events,
       uniqExactIfState(event_id, toUInt8(0)) AS deadletters
FROM {db}.{portal_events} GROUP BY topic, source, second;

DROP TABLE IF EXISTS {db}.{mv_ingest_second_deadletters};
CREATE MATERIALIZED VIEW {db}.{mv_ingest_second_deadletters} TO {db}.{agg_ingest_second} AS
SELECT ifNull(topic, '') AS topic, source, ingested_at AS second,
       uniqExactIfState('', toUInt8(0)) AS events,
       uniqExactIfState(concat(toString(toUInt32(at)), ':',
                               toString(cityHash64(original, reason))), toUInt8(1))
           AS deadletters
FROM {db}.{deadletters} GROUP BY topic, source, second;
