-- The alerts firing or changed within the hour: every change of alerts_live (migration 033)
-- at its latest version (FINAL over a small table: `cityops db compact` keeps only the firing
-- alerts and the last hour's resolutions). Every firing alert is here (a firing row is never
-- compacted away), so a query for firing alerts reads this view, not v_alerts: v_alerts'
-- second part builds the set of every key of alerts_live before it reads nothing for them
-- (a country's 338,651 firing alerts: ~300 ms of the ~700 ms such a query took, make
-- bench-queries). Same columns as v_alerts.
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
FROM {db}.{alerts_live} FINAL
