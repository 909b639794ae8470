-- Each worker's sink per table (written with the lag samples, streams/health): whether the
-- sink table(s) of a topic are stuck in some worker (rows waiting, no successful write for
-- streams.sink_stuck_seconds) and for how long. v_pipeline_health reads it from 012 on.
CREATE TABLE IF NOT EXISTS {db}.{sink_health}
(
    worker String,
    sink_table String,
    topic String,
    waiting_seconds Float64,
    stuck UInt8,
    rejected_rows UInt64,
    at DateTime
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (worker, sink_table);
