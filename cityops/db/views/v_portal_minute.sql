-- Portal figures per minute and agency (agg_portal_minute). Events without an agency (a
-- session start, most often) are grouped under ''; a session_started without a session_id
-- counts as one session, identified by its event.
SELECT
    minute,
    agency_code,
    uniqExactIfMerge(sessions) AS sessions,
    uniqExactIfMerge(submissions_started) AS submissions_started,
    uniqExactIfMerge(submissions_completed) AS submissions_completed,
    uniqExactIfMerge(ratings) AS ratings,
    uniqExactIfMerge(satisfied_ratings) AS satisfied_ratings,
    uniqExactIfMerge(feedbacks) AS feedbacks,
    uniqExactIfMerge(accounts_registered) AS accounts_registered
FROM {db}.{agg_portal_minute}
GROUP BY minute, agency_code
