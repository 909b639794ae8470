-- Each worker's sink per table (written with the lag samples, streams/health), and
-- v_pipeline_health with two columns more: whether the sink table(s) of the topic are stuck
-- in some worker (rows waiting, no successful write for streams.sink_stuck_seconds) and
-- for how long, from samples of the last 5 minutes. The rest of the view is 004's, unchanged.
CREATE TABLE IF NOT EXISTS {db}.{sink_health}
(
    worker String,
    sink_table String,
    topic String,
    waiting_seconds Float64,
    stuck UInt8,
    rejected_rows UInt64,
    at DateTime
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (worker, sink_table);

DROP TABLE IF EXISTS {db}.{v_pipeline_health};
CREATE VIEW {db}.{v_pipeline_health} AS
SELECT
    source,
    topic,
    last_occurred_at,
    last_ingested_at,
    events_5m,
    deadletters,
    deadletters_5m,
    lag_at,
    consumer_lag,
    sink_stuck,
    sink_waiting_seconds
FROM
(
    SELECT
        source,
        topic,
        nullIf(last_occurred, toDateTime(0)) AS last_occurred_at,
        nullIf(last_ingested, toDateTime(0)) AS last_ingested_at,
        events_5m,
        deadletters,
        deadletters_5m,
        nullIf(lag_sampled_at, toDateTime(0)) AS lag_at,
        if(isNull(lag_at), NULL, lag_total) AS consumer_lag
    FROM
    (
        SELECT
            source,
            multiIf(
                endsWith(raw_topic, '{dossier_topic}'), '{dossier_topic}',
                endsWith(raw_topic, '{payment_topic}'), '{payment_topic}',
                endsWith(raw_topic, '{portal_topic}'), '{portal_topic}',
                raw_topic) AS topic,
            max(occurred) AS last_occurred,
            max(ingested) AS last_ingested,
            sum(n_5m) AS events_5m,
            sum(dl) AS deadletters,
            sum(dl_5m) AS deadletters_5m
        FROM
        (
            SELECT
                source,
                '{dossier_topic}' AS raw_topic,
                max(occurred_at) AS occurred,
                max(ingested_at) AS ingested,
                uniqExactIf(event_id, ingested_at >= now() - 300) AS n_5m,
                toUInt64(0) AS dl,
                toUInt64(0) AS dl_5m
            FROM {db}.{dossier_events}
            GROUP BY source
            UNION ALL
            SELECT
                source,
                '{payment_topic}' AS raw_topic,
                max(occurred_at) AS occurred,
                max(ingested_at) AS ingested,
                uniqExactIf(event_id, ingested_at >= now() - 300) AS n_5m,
                toUInt64(0) AS dl,
                toUInt64(0) AS dl_5m
            FROM {db}.{payment_events}
            GROUP BY source
            UNION ALL
            SELECT
                source,
                '{portal_topic}' AS raw_topic,
                max(occurred_at) AS occurred,
                max(ingested_at) AS ingested,
                uniqExactIf(event_id, ingested_at >= now() - 300) AS n_5m,
                toUInt64(0) AS dl,
                toUInt64(0) AS dl_5m
            FROM {db}.{portal_events}
            GROUP BY source
            UNION ALL
            SELECT
                source,
                ifNull(topic, '') AS raw_topic,
                toDateTime(0) AS occurred,
                toDateTime(0) AS ingested,
                toUInt64(0) AS n_5m,
                uniqExact(at, cityHash64(original, reason)) AS dl,
                uniqExactIf(tuple(at, cityHash64(original, reason)), ingested_at >= now() - 300)
                    AS dl_5m
            FROM {db}.{deadletters}
            GROUP BY source, raw_topic
        )
        GROUP BY source, topic
    ) AS per_source
    ANY LEFT JOIN
    (
        SELECT
            base_topic AS topic,
            max(worker_lag) AS lag_total,
            max(worker_at) AS lag_sampled_at
        FROM
        (
            SELECT
                multiIf(
                    endsWith(topic, '{dossier_topic}'), '{dossier_topic}',
                    endsWith(topic, '{payment_topic}'), '{payment_topic}',
                    endsWith(topic, '{portal_topic}'), '{portal_topic}',
                    topic) AS base_topic,
                worker,
                sum(lag) AS worker_lag,
                max(at) AS worker_at
            FROM {db}.{consumer_lag} FINAL
            GROUP BY base_topic, worker
        )
        GROUP BY base_topic
    ) AS per_topic USING topic
) AS sources
ANY LEFT JOIN
(
    SELECT
        topic,
        max(stuck) AS sink_stuck,
        max(waiting_seconds) AS sink_waiting_seconds
    FROM {db}.{sink_health} FINAL
    WHERE at >= now() - 300
    GROUP BY topic
) AS sinks USING topic;
