"""Connectors: source adapters that publish contract events to Kafka."""
