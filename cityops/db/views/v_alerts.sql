-- The latest state of each alert (alert_id + opened_at: a re-opened alert is a new row);
-- backlog = raised while a worker caught up on a backlog (alert rules do not page for it).
-- Reads the two tables of migration 033 instead of `alerts FINAL` (every change ever): the
-- alerts firing or changed within the hour (v_alerts_live: alerts_live, FINAL over a small
-- table), and the resolved alerts not in it (alerts_resolved, each alert's latest row by
-- argMax; `state` is a grouping key, so `WHERE state = 'firing'` is pushed down and skips
-- the table by its primary key). Same columns and rows as before: one row per alert_id and
-- opened_at, its latest state. A resolved alert that fires again under the same opened_at is in
-- alerts_live (a firing row is never compacted away), so it is left out of the second part.
SELECT * FROM {db}.{v_alerts_live}
UNION ALL
SELECT
    alert_id,
    resolved_kind AS kind,
    resolved_severity AS severity,
    state,
    resolved_subject AS subject,
    resolved_agency_code AS agency_code,
    resolved_message AS message,
    resolved_message_en AS message_en,
    opened_at,
    resolved_resolved_at AS resolved_at,
    resolved_occurred_at AS changed_at,
    resolved_source AS source,
    resolved_event_id AS event_id,
    resolved_version AS version,
    resolved_backlog AS backlog
FROM
(
    SELECT alert_id, opened_at, state,
           argMax(kind, version) AS resolved_kind,
           argMax(severity, version) AS resolved_severity,
           argMax(subject, version) AS resolved_subject,
           argMax(agency_code, version) AS resolved_agency_code,
           argMax(message, version) AS resolved_message,
           argMax(message_en, version) AS resolved_message_en,
           argMax(resolved_at, version) AS resolved_resolved_at,
           argMax(occurred_at, version) AS resolved_occurred_at,
           argMax(source, version) AS resolved_source,
           argMax(event_id, version) AS resolved_event_id,
           argMax(backlog, version) AS resolved_backlog,
           max(version) AS resolved_version
    FROM {db}.{alerts_resolved}
    WHERE (alert_id, opened_at) NOT IN (SELECT alert_id, opened_at FROM {db}.{alerts_live})
    GROUP BY alert_id, opened_at, state
)
