-- v_portal_minute's figures per UTC hour and agency (agg_portal_hourly, migration 036): what
-- the activity panel reads when its interval is wide, a bounded number of rows per day.
SELECT
    hour,
    agency_code,
    uniqExactIfMerge(sessions) AS sessions,
    uniqExactIfMerge(submissions_started) AS submissions_started,
    uniqExactIfMerge(submissions_completed) AS submissions_completed,
    uniqExactIfMerge(ratings) AS ratings,
    uniqExactIfMerge(satisfied_ratings) AS satisfied_ratings,
    uniqExactIfMerge(feedbacks) AS feedbacks,
    uniqExactIfMerge(accounts_registered) AS accounts_registered
FROM {db}.{agg_portal_hourly}
GROUP BY hour, agency_code
