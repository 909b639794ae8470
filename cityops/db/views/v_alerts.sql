-- The latest state of each alert (alert_id + opened_at: a re-opened alert is a new row);
-- backlog = raised while a worker caught up on a backlog (alert rules do not page for it).
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
    version,
    backlog
FROM {db}.{alerts} FINAL
