"""Pipeline health panels: is the wall fresh, is every source speaking, are workers keeping up.

A figure on the wall is only as good as the pipeline under it, so the wall shows these at
the top. Freshness, worker silence and lag are judged from the SQL below by the wall's
tiles and by Grafana's pipeline rules alike (`dashboards/alerting/pipeline.py`); a silent
source and a stuck sink are the workers' verdicts (their `source_silent` alerts, their
`sink_health` samples), not judged again.
"""

from __future__ import annotations

from cityops.contract import SOURCE_TOPICS, AlertKind, AlertState
from cityops.db.tables import V_ALERTS_LIVE, V_DEADLETTER_MINUTE, V_PIPELINE_HEALTH
from dashboards import defaults as d
from dashboards import targets
from dashboards.sql import TZ

#: The health rows of the contract's source topics (not the alerts or dead-letter topics).
_TOPICS = ", ".join(f"'{topic.base}'" for topic in SOURCE_TOPICS)
SOURCES = f"{V_PIPELINE_HEALTH} WHERE topic IN ({_TOPICS})"
#: Seconds since the newest event of any source reached ClickHouse; NULL when none ever did.
FRESHNESS_S = "toFloat64(dateDiff('second', max(last_ingested_at), now()))"
#: Office hours on a weekday, local time (public holidays are not known to SQL).
#: (The time zone goes into the value: toDayOfWeek's second argument differs across versions.)
_LOCAL_NOW = f"toTimeZone(now(), '{TZ}')"
OFFICE_HOURS = (
    f"toDayOfWeek({_LOCAL_NOW}) <= 5 AND toHour({_LOCAL_NOW}) >= {targets.OFFICE_HOURS[0]} "
    f"AND toHour({_LOCAL_NOW}) < {targets.OFFICE_HOURS[1]}"
)
#: Seconds since a worker last reported its lag; NULL when none ever did.
WORKERS_SILENT_S = "toFloat64(dateDiff('second', max(lag_at), now()))"
#: Per source topic: messages waiting for its worker (the worst consumer group).
LAG_BY_TOPIC_SQL = f"""
    SELECT topic, toFloat64(max(ifNull(consumer_lag, 0))) AS value
    FROM {SOURCES}
    GROUP BY topic
    """
#: Per source topic: seconds its rows have waited in a sink the workers found stuck (their
#: `sink_health` samples, judged against `streams.sink_stuck_seconds`); 0 when none is.
STUCK_BY_TOPIC_SQL = f"""
    SELECT topic, toFloat64(if(max(ifNull(sink_stuck, 0)) = 1,
                               max(ifNull(sink_waiting_seconds, 0)), 0)) AS value
    FROM {SOURCES}
    GROUP BY topic
    """


def freshness() -> d.Panel:
    return d.stat(
        "Dữ liệu cập nhật",
        "Data freshness: seconds since the newest event of any source reached ClickHouse. "
        f"Orange from {targets.FRESHNESS_WARN_S} s; red from {targets.FRESHNESS_LIMIT_S} s, "
        "when the duty officers are paged (rule cityops-wall-stale).",
        f"SELECT {FRESHNESS_S} AS freshness_s FROM {SOURCES}",
        unit=d.SECONDS,
        thresholds=d.steps(
            (None, "green"),
            (targets.FRESHNESS_WARN_S, "orange"),
            (targets.FRESHNESS_LIMIT_S, "red"),
        ),
        width=4,
    )


def silent_sources() -> d.Panel:
    return d.stat(
        "Nguồn im lặng",
        "Silent sources: sources the stream workers found silent for "
        f"{targets.SOURCE_SILENT_AFTER_S // 60} minutes (their firing source_silent alerts).",
        f"SELECT count() AS silent FROM {V_ALERTS_LIVE} "
        f"WHERE state = '{AlertState.FIRING.value}' AND kind = '{AlertKind.SOURCE_SILENT.value}'",
        thresholds=d.limit_steps(1),
        width=3,
    )


def deadletters_5m() -> d.Panel:
    return d.stat(
        "Bản tin bị loại (5 phút)",
        "Dead letters: inputs rejected in the last 5 minutes (invalid events, unknown codes).",
        f"SELECT sum(deadletters_5m) AS deadletters FROM {V_PIPELINE_HEALTH}",
        thresholds=d.limit_steps(1),
    )


def max_lag() -> d.Panel:
    return d.stat(
        "Sự kiện chờ xử lý",
        "Consumer lag: the largest backlog of a source topic (messages not yet processed by "
        f"its worker). Orange from {targets.LAG_WARN:,}; red from {targets.LAG_LIMIT:,}, "
        "when the duty officers are paged (rule cityops-consumer-lag).",
        f"SELECT max(value) AS lag FROM ({LAG_BY_TOPIC_SQL})",
        thresholds=d.steps(
            (None, "green"), (targets.LAG_WARN, "orange"), (targets.LAG_LIMIT, "red")
        ),
        width=3,
    )


def sources() -> d.Panel:
    return d.table(
        "Nguồn dữ liệu",
        "Sources: per source and topic, the last event, events in the last 5 minutes, dead "
        "letters, the consumer lag and how long rows wait in a stuck sink.",
        f"""
        SELECT source, topic, last_occurred_at, last_ingested_at,
               dateDiff('second', ifNull(last_ingested_at, toDateTime(0)), now())
                   AS silent_for_s,
               events_5m, deadletters, deadletters_5m, consumer_lag,
               if(sink_stuck = 1, sink_waiting_seconds, 0) AS stuck_for_s
        FROM {V_PIPELINE_HEALTH}
        ORDER BY silent_for_s DESC
        """,
        columns={
            "source": d.Column("Nguồn"),
            "topic": d.Column("Topic"),
            "last_occurred_at": d.Column("Sự kiện cuối"),
            "last_ingested_at": d.Column("Ghi nhận cuối"),
            "silent_for_s": d.Column(
                "Im lặng",
                d.SECONDS,
                d.steps((None, "green"), (targets.SOURCE_SILENT_AFTER_S, "red")),
            ),
            "events_5m": d.Column("Sự kiện 5 phút"),
            "deadletters": d.Column("Bị loại"),
            "deadletters_5m": d.Column("Bị loại 5 phút", thresholds=d.limit_steps(1)),
            "consumer_lag": d.Column(
                "Chờ xử lý",
                thresholds=d.steps(
                    (None, "green"), (targets.LAG_WARN, "orange"), (targets.LAG_LIMIT, "red")
                ),
            ),
            "stuck_for_s": d.Column("Ghi bị kẹt", d.SECONDS, d.limit_steps(1)),
        },
        width=24,
    )


def deadletter_reasons() -> d.Panel:
    return d.table(
        "Lý do bị loại",
        "Dead-letter reasons: why inputs were rejected over the time range, most frequent first.",
        f"""
        SELECT source, stage, reason, sum(rejected) AS rejected, max(last_at) AS last_at
        FROM {V_DEADLETTER_MINUTE}
        WHERE $__timeFilter(minute)
        GROUP BY source, stage, reason
        ORDER BY rejected DESC
        LIMIT 50
        """,
        columns={
            "source": d.Column("Nguồn"),
            "stage": d.Column("Khâu"),
            "reason": d.Column("Lý do"),
            "rejected": d.Column("Số bản tin"),
            "last_at": d.Column("Lần cuối"),
        },
        width=24,
    )


def events_flow() -> d.Panel:
    return d.timeseries(
        "Bản tin bị loại theo thời gian",
        "Dead letters: rejected inputs per interval, per source.",
        f"""
        SELECT toDateTime(intDiv(toUInt32(minute), $__interval_s) * $__interval_s) AS time,
               source, sum(rejected) AS rejected
        FROM {V_DEADLETTER_MINUTE}
        WHERE $__timeFilter(minute)
        GROUP BY time, source ORDER BY time
        """,
    )
