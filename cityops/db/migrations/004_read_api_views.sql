-- The read API of contract.md plus the per-minute views of the live wall.
-- Views count by construction (distinct ids, GROUP BY), so a copy of an event that
-- ReplacingMergeTree has not merged yet never counts twice. Days are local days in {tz};
-- minutes are UTC DateTime (a minute never straddles a local midnight: the offset is whole
-- hours). Ratios are not stored: dashboards divide counts so any grouping stays right.
-- Views are dropped and recreated so that this file can be re-run after a partial failure.

DROP TABLE IF EXISTS {db}.{v_dossier_minute};
CREATE VIEW {db}.{v_dossier_minute} AS
SELECT
    minute,
    agency_code,
    area_code,
    sum(received) AS received,
    sum(online_received) AS online_received,
    sum(full_online_received) AS full_online_received,
    sum(resolved) AS resolved,
    sum(resolved_on_time) AS resolved_on_time,
    sum(resolved_late) AS resolved_late,
    sum(processing_hours_sum) AS processing_hours_sum,
    sum(processing_hours_count) AS processing_hours_count
FROM
(
    SELECT
        toStartOfMinute(assumeNotNull(received_event_at)) AS minute,
        agency_code,
        area_code,
        toUInt64(1) AS received,
        toUInt64(channel = 'online') AS online_received,
        toUInt64(online_level = 'full') AS full_online_received,
        toUInt64(0) AS resolved,
        toUInt64(0) AS resolved_on_time,
        toUInt64(0) AS resolved_late,
        toFloat64(0) AS processing_hours_sum,
        toUInt64(0) AS processing_hours_count
    FROM {db}.{dossier_state} FINAL
    WHERE isNotNull(received_event_at)
    UNION ALL
    SELECT
        toStartOfMinute(assumeNotNull(first_resolved_event_at)) AS minute,
        agency_code,
        area_code,
        toUInt64(0) AS received,
        toUInt64(0) AS online_received,
        toUInt64(0) AS full_online_received,
        toUInt64(1) AS resolved,
        toUInt64(ifNull(resolved_at <= due_at, 0)) AS resolved_on_time,
        toUInt64(1 - ifNull(resolved_at <= due_at, 0)) AS resolved_late,
        toFloat64(if(isNotNull(received_at) AND isNotNull(resolved_at),
            (toInt64(assumeNotNull(resolved_at)) - toInt64(assumeNotNull(received_at))) / 3600,
            0)) AS processing_hours_sum,
        toUInt64(isNotNull(received_at) AND isNotNull(resolved_at)) AS processing_hours_count
    FROM {db}.{dossier_state} FINAL
    WHERE isNotNull(first_resolved_event_at)
)
GROUP BY minute, agency_code, area_code;

DROP TABLE IF EXISTS {db}.{v_dossier_daily};
CREATE VIEW {db}.{v_dossier_daily} AS
SELECT
    toDate(toTimeZone(minute, '{tz}')) AS day,
    agency_code,
    area_code,
    sum(received) AS received,
    sum(online_received) AS online_received,
    sum(full_online_received) AS full_online_received,
    sum(resolved) AS resolved,
    sum(resolved_on_time) AS resolved_on_time,
    sum(resolved_late) AS resolved_late,
    sum(processing_hours_sum) AS processing_hours_sum,
    sum(processing_hours_count) AS processing_hours_count,
    if(processing_hours_count = 0, NULL, processing_hours_sum / processing_hours_count)
        AS avg_processing_hours
FROM {db}.{v_dossier_minute}
GROUP BY day, agency_code, area_code;

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
FROM {db}.{dossier_state} FINAL
WHERE closed = 0 AND isNotNull(received_event_at);

DROP TABLE IF EXISTS {db}.{v_payment_minute};
CREATE VIEW {db}.{v_payment_minute} AS
SELECT
    minute,
    agency_code,
    area_code,
    countIf(is_initiated = 1) AS initiated,
    countIf(is_succeeded = 1) AS succeeded,
    countIf(is_failed = 1) AS failed,
    countIf(is_refunded = 1) AS refunded,
    sumIf(succeeded_amount, is_succeeded = 1) AS amount_vnd,
    countIf(is_succeeded = 1 AND succeeded_cashless = 1) AS cashless_succeeded,
    sumIf(succeeded_amount, is_succeeded = 1 AND succeeded_cashless = 1) AS cashless_amount_vnd
FROM
(
    SELECT
        toStartOfMinute(occurred_at) AS minute,
        agency_code,
        area_code,
        payment_id,
        max(status = 'initiated') AS is_initiated,
        max(status = 'succeeded') AS is_succeeded,
        max(status = 'failed') AS is_failed,
        max(status = 'refunded') AS is_refunded,
        argMaxIf(amount_vnd, (occurred_ms, event_id), status = 'succeeded') AS succeeded_amount,
        argMaxIf(method != 'cash', (occurred_ms, event_id), status = 'succeeded')
            AS succeeded_cashless
    FROM {db}.{payment_events}
    GROUP BY minute, agency_code, area_code, payment_id
)
GROUP BY minute, agency_code, area_code;

DROP TABLE IF EXISTS {db}.{v_payment_daily};
CREATE VIEW {db}.{v_payment_daily} AS
SELECT
    day,
    agency_code,
    area_code,
    countIf(is_initiated = 1) AS initiated,
    countIf(is_succeeded = 1) AS succeeded,
    countIf(is_failed = 1) AS failed,
    countIf(is_refunded = 1) AS refunded,
    sumIf(succeeded_amount, is_succeeded = 1) AS amount_vnd,
    countIf(is_succeeded = 1 AND succeeded_cashless = 1) AS cashless_succeeded,
    sumIf(succeeded_amount, is_succeeded = 1 AND succeeded_cashless = 1) AS cashless_amount_vnd
FROM
(
    SELECT
        toDate(toTimeZone(occurred_at, '{tz}')) AS day,
        agency_code,
        area_code,
        payment_id,
        max(status = 'initiated') AS is_initiated,
        max(status = 'succeeded') AS is_succeeded,
        max(status = 'failed') AS is_failed,
        max(status = 'refunded') AS is_refunded,
        argMaxIf(amount_vnd, (occurred_ms, event_id), status = 'succeeded') AS succeeded_amount,
        argMaxIf(method != 'cash', (occurred_ms, event_id), status = 'succeeded')
            AS succeeded_cashless
    FROM {db}.{payment_events}
    GROUP BY day, agency_code, area_code, payment_id
)
GROUP BY day, agency_code, area_code;

-- Portal events without an agency (a session start, most often) are grouped under ''.
-- A session_started without a session_id counts as one session, identified by its event.
DROP TABLE IF EXISTS {db}.{v_portal_minute};
CREATE VIEW {db}.{v_portal_minute} AS
SELECT
    minute,
    agency AS agency_code,
    sessions,
    submissions_started,
    submissions_completed,
    ratings,
    satisfied_ratings,
    feedbacks,
    accounts_registered
FROM
(
    SELECT
        toStartOfMinute(occurred_at) AS minute,
        ifNull(agency_code, '') AS agency,
        uniqExactIf(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
        uniqExactIf(event_id, kind = 'submission_started') AS submissions_started,
        uniqExactIf(event_id, kind = 'submission_completed') AS submissions_completed,
        uniqExactIf(event_id, kind = 'rating_submitted') AS ratings,
        uniqExactIf(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
            AS satisfied_ratings,
        uniqExactIf(event_id, kind = 'feedback_submitted') AS feedbacks,
        uniqExactIf(event_id, kind = 'account_registered') AS accounts_registered
    FROM {db}.{portal_events}
    GROUP BY minute, agency
);

DROP TABLE IF EXISTS {db}.{v_portal_daily};
CREATE VIEW {db}.{v_portal_daily} AS
SELECT
    day,
    agency AS agency_code,
    sessions,
    submissions_started,
    submissions_completed,
    ratings,
    satisfied_ratings,
    feedbacks,
    accounts_registered
FROM
(
    SELECT
        toDate(toTimeZone(occurred_at, '{tz}')) AS day,
        ifNull(agency_code, '') AS agency,
        uniqExactIf(ifNull(session_id, event_id), kind = 'session_started') AS sessions,
        uniqExactIf(event_id, kind = 'submission_started') AS submissions_started,
        uniqExactIf(event_id, kind = 'submission_completed') AS submissions_completed,
        uniqExactIf(event_id, kind = 'rating_submitted') AS ratings,
        uniqExactIf(event_id, kind = 'rating_submitted' AND ifNull(rating, 0) >= 4)
            AS satisfied_ratings,
        uniqExactIf(event_id, kind = 'feedback_submitted') AS feedbacks,
        uniqExactIf(event_id, kind = 'account_registered') AS accounts_registered
    FROM {db}.{portal_events}
    GROUP BY day, agency
);

-- The latest state of each alert (alert_id + opened_at: a re-opened alert is a new row).
DROP TABLE IF EXISTS {db}.{v_alerts};
CREATE VIEW {db}.{v_alerts} AS
SELECT
    alert_id,
    kind,
    severity,
    state,
    subject,
    agency_code,
    message,
    message_en,
    opened_at,
    resolved_at,
    occurred_at AS changed_at,
    source,
    event_id,
    version
FROM {db}.{alerts} FINAL;

-- Per source and topic: when it last spoke, how much in the last 5 minutes (by ingestion
-- time), its dead letters, and the consumer lag of the topic where a worker reported one
-- (the worst worker's total over partitions; NULL when nobody reported). Topic names
-- recorded with a deployment namespace prefix are folded onto the contract's names.
DROP TABLE IF EXISTS {db}.{v_pipeline_health};
CREATE VIEW {db}.{v_pipeline_health} AS
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
) AS per_topic USING topic;
