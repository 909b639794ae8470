"""Stream processors (Faust): Kafka -> live KPIs, state and alerts -> ClickHouse."""
