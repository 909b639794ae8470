-- Dead letters per minute, source, stage and reason: how many distinct ones and the latest
-- one's time. A dead letter has one time, so per-minute counts add up over a range. The
-- originals stay in the main database's deadletters, which the reader may not open.
SELECT
    minute,
    source,
    stage,
    reason,
    uniqExactMerge(letters) AS rejected,
    maxMerge(last_at) AS last_at
FROM {db}.{agg_deadletter_minute}
GROUP BY minute, source, stage, reason
