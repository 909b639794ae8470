"""Pipeline health: dead letters and consumer lag into ClickHouse, /health and /metrics."""
