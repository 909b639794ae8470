"""The framework floor: Faust agents that only count and acknowledge, on the same topics.

Run as a child process by bench/pipeline.py; prints `RATE <events/s>` once it has seen
`--expected` records. Against this, the worker's number says what cityops' own work costs,
separately from what Faust's per-record stream machinery costs on this machine.
"""

from __future__ import annotations

import argparse
import sys
import time

import faust

from cityops import localstack
from cityops.contract import SOURCE_TOPICS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--expected", type=int, required=True)
    args = parser.parse_args()
    app = faust.App(
        f"{args.namespace}-faust-floor",
        broker=f"kafka://127.0.0.1:{localstack.kafka_port()}",
        store="memory://",
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_max_poll_records=5000,
        stream_buffer_maxsize=20000,
        consumer_max_fetch_size=8 * 1024 * 1024,
        broker_commit_every=10_000,
        stream_wait_empty=False,
    )
    seen = {"n": 0, "start": 0.0}

    def make_agent(topic_name: str) -> None:
        topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")

        async def count(stream):  # type: ignore[no-untyped-def]
            async for batch in stream.noack_take(20_000, within=0.5):
                seen["start"] = seen["start"] or time.monotonic()
                seen["n"] += len(batch)
                for event in batch:
                    await stream.ack(event)
                if seen["n"] >= args.expected:
                    rate = seen["n"] / (time.monotonic() - seen["start"])
                    sys.stderr.write(f"RATE {rate:.0f}\n")
                    sys.stderr.flush()

        app.agent(topic, name=f"floor-{topic_name}")(count)

    for spec in SOURCE_TOPICS:
        make_agent(spec.name(args.namespace))
    sys.argv = [sys.argv[0], "worker", "-l", "warn", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
