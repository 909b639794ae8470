"""Worker metrics, rendered in the Prometheus text format on /metrics."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Metrics:
    started_at: float = field(default_factory=time.time)
    events_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dead_letters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    alerts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows_written: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    flushes: int = 0
    flush_seconds_total: float = 0.0
    last_flush_at: float = 0.0

    def render(self) -> str:
        lines = [
            "# TYPE cityops_worker_uptime_seconds gauge",
            f"cityops_worker_uptime_seconds {time.time() - self.started_at:.1f}",
            "# TYPE cityops_events_in_total counter",
        ]
        lines += [f'cityops_events_in_total{{topic="{t}"}} {n}' for t, n in self.events_in.items()]
        lines.append("# TYPE cityops_dead_letters_total counter")
        lines += [
            f'cityops_dead_letters_total{{topic="{t}"}} {n}' for t, n in self.dead_letters.items()
        ]
        lines.append("# TYPE cityops_alerts_total counter")
        lines += [f'cityops_alerts_total{{kind="{k}"}} {n}' for k, n in self.alerts.items()]
        lines.append("# TYPE cityops_rows_written_total counter")
        lines += [
            f'cityops_rows_written_total{{table="{t}"}} {n}' for t, n in self.rows_written.items()
        ]
        lines.append("# TYPE cityops_consumer_lag gauge")
        lines += [
            f'cityops_consumer_lag{{topic="{t}",partition="{p}"}} {n}'
            for (t, p), n in self.lag.items()
        ]
        lines += [
            "# TYPE cityops_sink_flushes_total counter",
            f"cityops_sink_flushes_total {self.flushes}",
            "# TYPE cityops_sink_flush_seconds_total counter",
            f"cityops_sink_flush_seconds_total {self.flush_seconds_total:.3f}",
        ]
        return "\n".join(lines) + "\n"
