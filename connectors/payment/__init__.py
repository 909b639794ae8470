"""Payment connector: signed payment webhooks (or a backfill file) -> `cityops.payment.v1`."""
