"""How connectors reach their sources: pull (poll a REST API), push (webhooks), file (backfill)."""
