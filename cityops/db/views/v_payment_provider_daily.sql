-- Payments per local day in {tz}, agency, provider and failure reason ('' for none), as
-- uniqExactIf states of payment ids, like v_payment_provider_minute without the area: merge
-- them over whole days (uniqExactIfMerge), together with the minute states of partial days
-- (the same aggregate function), so a payment counts once over the range.
SELECT
    day,
    agency_code,
    provider,
    failure_reason,
    succeeded AS succeeded_state,
    failed AS failed_state
FROM {db}.{agg_payment_provider_daily}
