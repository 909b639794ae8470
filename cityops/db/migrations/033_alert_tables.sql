-- v_alerts without FINAL over every alert change ever (issue 11): two tables filled from
-- `alerts` by materialized views, whose union v_alerts reads (views/v_alerts.sql).
-- alerts_live: every change of the alerts firing or changed within the last hour, small by
-- construction: `cityops db compact` merges it and deletes resolved alerts whose last
-- change (version: the worker's clock, epoch ms) is older than an hour, as for dossier_open.
-- alerts_resolved: every resolved row, ordered by state first, so a query for firing alerts
-- skips it through the primary key.
-- Both have the columns of `alerts`. Upgrades: `cityops db backfill` fills both from
-- `alerts` (cityops/db/alert_tables.py).
CREATE TABLE IF NOT EXISTS {q.alerts_live} AS {q.alerts}
ENGINE = ReplacingMergeTree(version)
ORDER BY (alert_id, opened_at);

CREATE TABLE IF NOT EXISTS {q.alerts_resolved} AS {q.alerts}
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (state, alert_id, opened_at);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{mv_alerts_live} TO {q.alerts_live} AS
SELECT * FROM {q.alerts};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{mv_alerts_resolved}
TO {q.alerts_resolved} AS
SELECT * FROM {q.alerts} WHERE state = 'resolved';
