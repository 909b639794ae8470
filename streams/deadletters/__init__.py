"""Dead letters after the fact: find them in ClickHouse and replay them once the cause is fixed."""
