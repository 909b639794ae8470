-- v_portal_minute's figures per local day in {tz} (agg_portal_daily).
SELECT
    day,
    agency_code,
    uniqExactIfMerge(sessions) AS sessions,
    uniqExactIfMerge(submissions_started) AS submissions_started,
    uniqExactIfMerge(submissions_completed) AS submissions_completed,
    uniqExactIfMerge(ratings) AS ratings,
    uniqExactIfMerge(satisfied_ratings) AS satisfied_ratings,
    uniqExactIfMerge(feedbacks) AS feedbacks,
    uniqExactIfMerge(accounts_registered) AS accounts_registered
FROM {db}.{agg_portal_daily}
GROUP BY day, agency_code
