"""Portal connector: signed portal-activity webhooks (or a file) -> `cityops.portal.v1`."""
