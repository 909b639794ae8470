-- Per source and topic: when it last spoke, events and dead letters in the last 5 minutes
-- (by ingestion time) and ever, from the aggregates agg_ingest_totals and agg_ingest_second;
-- the consumer lag of the topic where a worker reported one (the worst worker's total over
-- partitions; NULL when nobody reported); whether a sink of the topic is stuck. Topic names
-- recorded with a deployment namespace prefix are folded onto the contract's names.
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
                topic AS raw_topic,
                source,
                maxMerge(last_occurred) AS occurred,
                maxMerge(last_ingested) AS ingested,
                toUInt64(0) AS n_5m,
                uniqExactIfMerge(deadletters) AS dl,
                toUInt64(0) AS dl_5m
            FROM {db}.{agg_ingest_totals}
            GROUP BY raw_topic, source
            UNION ALL
            SELECT
                topic AS raw_topic,
                source,
                toDateTime(0) AS occurred,
                toDateTime(0) AS ingested,
                uniqExactIfMerge(events) AS n_5m,
                toUInt64(0) AS dl,
                uniqExactIfMerge(deadletters) AS dl_5m
            FROM {db}.{agg_ingest_second}
            WHERE second >= now() - 300
            GROUP BY raw_topic, source
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
) AS sinks USING topic
