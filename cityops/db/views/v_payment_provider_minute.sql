-- Payments per minute, agency, area, provider and failure reason ('' for none), as
-- uniqExactIf states of payment ids: merge them over a range (uniqExactIfMerge) so a payment
-- whose events span minutes or reasons counts once (the payments dashboard's providers table).
SELECT
    minute,
    agency_code,
    area_code,
    provider,
    failure_reason,
    succeeded AS succeeded_state,
    failed AS failed_state
FROM {db}.{agg_payment_provider_minute}
