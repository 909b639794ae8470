-- Alerts raised while a worker was catching up on a backlog (issue 10): recorded, so the
-- dossiers dashboard shows them, but flagged so alert rules do not page for the past.
-- version is now the worker's change counter (epoch ms of its clock, growing per alert),
-- not the event time of the change.
ALTER TABLE {db}.{alerts} ADD COLUMN backlog UInt8 DEFAULT 0;

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
    version,
    backlog
FROM {db}.{alerts} FINAL;
