"""Alerts: one open alert per kind and subject, published to Kafka and stored in ClickHouse."""
