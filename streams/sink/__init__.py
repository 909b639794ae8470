"""Writing the pipeline's rows to ClickHouse: pure row builders and a batching sink."""

from streams.sink.clickhouse import ClickHouseSink, SinkClosed, SinkMetrics
from streams.sink.poison import RejectedRow
from streams.sink.rows import (
    alert_row,
    consumer_lag_row,
    deadletter_row,
    epoch_ms,
    raw_row,
    row_from_mapping,
)

__all__ = [
    "ClickHouseSink",
    "RejectedRow",
    "SinkClosed",
    "SinkMetrics",
    "alert_row",
    "consumer_lag_row",
    "deadletter_row",
    "epoch_ms",
    "raw_row",
    "row_from_mapping",
]
