"""Pipeline health panels: is every source speaking, is anything rejected, are workers behind.

A figure on the wall is only as good as the pipeline under it, so the wall shows these too.
"""

from __future__ import annotations

from cityops.db.tables import DEADLETTERS, V_PIPELINE_HEALTH
from dashboards import defaults as d
from dashboards import targets

SILENT = f"(isNull(last_ingested_at) OR last_ingested_at < now() - {targets.SOURCE_SILENT_AFTER_S})"


def silent_sources() -> d.Panel:
    return d.stat(
        "Silent sources",
        f"Sources that sent nothing for {targets.SOURCE_SILENT_AFTER_S // 60} minutes.",
        f"SELECT countIf({SILENT} AND events_5m = 0) AS silent FROM {V_PIPELINE_HEALTH} "
        "WHERE source != ''",
        thresholds=d.limit_steps(1),
    )


def deadletters_5m() -> d.Panel:
    return d.stat(
        "Dead letters (5 min)",
        "Inputs rejected in the last 5 minutes (invalid events, unknown codes).",
        f"SELECT sum(deadletters_5m) AS deadletters FROM {V_PIPELINE_HEALTH}",
        thresholds=d.limit_steps(1),
    )


def max_lag() -> d.Panel:
    return d.stat(
        "Consumer lag",
        "Largest backlog of a source topic (messages not yet processed by its worker).",
        f"SELECT max(ifNull(consumer_lag, 0)) AS lag FROM {V_PIPELINE_HEALTH}",
        thresholds=d.limit_steps(10000),
    )


def sources() -> d.Panel:
    return d.table(
        "Sources",
        "Per source and topic: last event, events in the last 5 minutes, dead letters, lag.",
        f"""
        SELECT source, topic, last_occurred_at, last_ingested_at,
               dateDiff('second', ifNull(last_ingested_at, toDateTime(0)), now())
                   AS silent_for_s,
               events_5m, deadletters, deadletters_5m, consumer_lag
        FROM {V_PIPELINE_HEALTH}
        ORDER BY silent_for_s DESC
        """,
        column_units={"silent_for_s": d.SECONDS},
        width=24,
    )


def deadletter_reasons() -> d.Panel:
    return d.table(
        "Dead-letter reasons",
        "Why inputs were rejected over the time range, most frequent first.",
        f"""
        SELECT source, stage, reason, count() AS rejected, max(at) AS last_at
        FROM {DEADLETTERS.name}
        WHERE $__timeFilter(at)
        GROUP BY source, stage, reason
        ORDER BY rejected DESC
        LIMIT 50
        """,
        width=24,
    )


def events_flow() -> d.Panel:
    return d.timeseries(
        "Dead letters",
        "Rejected inputs per interval, per source.",
        f"""
        SELECT toDateTime(intDiv(toUInt32(at), $__interval_s) * $__interval_s) AS time,
               source, count() AS rejected
        FROM {DEADLETTERS.name}
        WHERE $__timeFilter(at)
        GROUP BY time, source ORDER BY time
        """,
    )
