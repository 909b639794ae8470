"""Health checks of the local stack, run by deploy/local/*.sh.

Kafka is healthy when a topic can be created and then listed (a broker that accepts
connections but has no controller yet fails this); ClickHouse when `SELECT 1` answers over
the native port the workers use and each cityops account of the settings can log in.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

HEALTH_TOPIC = "cityops.health"


def check_kafka(bootstrap: str) -> None:
    """As a client configured by the settings (env): a SASL/TLS broker is checked over SASL/TLS."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from cityops.settings import Settings

    kafka = Settings().kafka.model_copy(update={"bootstrap_servers": bootstrap})
    admin = KafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=5000)
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(HEALTH_TOPIC, 1, 1)])
        if HEALTH_TOPIC not in admin.list_topics():
            raise RuntimeError(f"{HEALTH_TOPIC} not listed")
    finally:
        admin.close()


def check_clickhouse(host: str, port: int) -> None:
    """`SELECT 1` as `default`, then a login as each cityops account of the settings: the
    server has loaded the accounts the clients will use (users.d is reloaded, not read once)."""
    from clickhouse_driver import Client

    from cityops.db.client import make_client
    from cityops.settings import Settings

    client = Client(host=host, port=port, connect_timeout=3, send_receive_timeout=5)
    try:
        if client.execute("SELECT 1") != [(1,)]:
            raise RuntimeError("SELECT 1 did not return 1")
    finally:
        client.disconnect()
    clickhouse = Settings().clickhouse.model_copy(update={"host": host, "port": port})
    for account in ({"migrator": True}, {}, {"reader": True}):
        client = make_client(clickhouse, connect_timeout=3, send_receive_timeout=5, **account)
        try:
            client.execute("SELECT 1")
        finally:
            client.disconnect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    kafka = sub.add_parser("kafka")
    kafka.add_argument("--bootstrap", default="127.0.0.1:9092")
    ch = sub.add_parser("clickhouse")
    ch.add_argument("--host", default="127.0.0.1")
    ch.add_argument("--port", type=int, default=9000)
    args = parser.parse_args(argv)
    try:
        if args.what == "kafka":
            check_kafka(args.bootstrap)
        else:
            check_clickhouse(args.host, args.port)
    except Exception as exc:
        detail = " ".join(str(exc).split("Stack trace")[0].split())  # ClickHouse's: long
        print(f"{args.what} unhealthy: {detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
