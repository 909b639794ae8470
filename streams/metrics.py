"""Worker metrics, rendered in the Prometheus text format on /metrics."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from streams.sink.clickhouse import SinkMetrics


@dataclass
class Metrics:
    started_at: float = field(default_factory=time.time)
    events_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dead_letters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    alerts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows_written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Unstorable rows of tables that are not dead-lettered (context.NOT_DEAD_LETTERED).
    rows_dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    flushes: int = 0
    flush_seconds_total: float = 0.0
    last_flush_at: float = 0.0

    def render(self) -> str:
        lines = [
            "# TYPE cityops_worker_uptime_seconds gauge",
            f"cityops_worker_uptime_seconds {time.time() - self.started_at:.1f}",
            *_series("cityops_events_in_total", "counter", "topic", self.events_in),
            *_series("cityops_dead_letters_total", "counter", "topic", self.dead_letters),
            *_series("cityops_alerts_total", "counter", "kind", self.alerts),
            *_series("cityops_rows_written_total", "counter", "table", self.rows_written),
            "# TYPE cityops_consumer_lag gauge",
        ]
        lines += [
            f'cityops_consumer_lag{{topic="{t}",partition="{p}"}} {n}'
            for (t, p), n in self.lag.items()
        ]
        lines += [
            "# TYPE cityops_sink_flushes_total counter",
            f"cityops_sink_flushes_total {self.flushes}",
            "# TYPE cityops_sink_flush_seconds_total counter",
            f"cityops_sink_flush_seconds_total {self.flush_seconds_total:.3f}",
            *_series("cityops_sink_rows_dropped_total", "counter", "table", self.rows_dropped),
        ]
        return "\n".join(lines) + "\n"


def render_sink(sink: SinkMetrics, stuck_after: float) -> str:
    """The sink's side of /metrics: rejected rows, waiting tables and whether it is stuck."""
    lines = [
        *_series("cityops_sink_rows_rejected_total", "counter", "table", sink.rows_rejected),
        "# TYPE cityops_sink_insert_errors_total counter",
        f"cityops_sink_insert_errors_total {sink.insert_errors}",
        "# TYPE cityops_sink_buffered_rows gauge",
        f"cityops_sink_buffered_rows {sink.buffered_rows}",
        *_series("cityops_sink_waiting_seconds", "gauge", "table", sink.waiting_seconds, ".1f"),
        "# TYPE cityops_sink_stuck gauge",
        f"cityops_sink_stuck {int(bool(sink.stuck(stuck_after)))}",
    ]
    return "\n".join(lines) + "\n"


def _series(
    name: str, kind: str, label: str, values: Mapping[str, float], spec: str = ""
) -> list[str]:
    """One metric family with one label: its TYPE line, then a sample per label value."""
    samples = [f'{name}{{{label}="{k}"}} {format(v, spec)}' for k, v in values.items()]
    return [f"# TYPE {name} {kind}", *samples]
