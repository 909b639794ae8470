"""A worker whose ClickHouse is unreachable (`make test-faults`): its sink counts as stuck,
/health says so with a 503 and /metrics with `cityops_sink_stuck 1`; SIGTERM stops it by
itself while the sink is retrying (issue 8: it used to retry forever); nothing it had not
written is lost, as the next worker writes it."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request

from cityops import localstack
from tests.integration.streams.test_poison import payment_bytes, send_raw, stored_payments
from tests.support.pipeline import Worker, wait_until
from tests.support.tcpproxy import TcpProxy


def get(worker: Worker, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{worker.web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
    except OSError:
        return 0, ""  # not serving yet


def test_stuck_sink_fails_health_and_sigterm_stops_it(pipeline_settings, start_worker, ch) -> None:  # type: ignore[no-untyped-def]
    settings = pipeline_settings
    # ClickHouse goes away once the worker runs: a worker started without it waits before
    # serving anything (docs/operations.md, "Start order: any").
    proxy = TcpProxy(localstack.clickhouse_port())
    worker = start_worker(
        CITYOPS_CLICKHOUSE__PORT=str(proxy.port), CITYOPS_STREAMS__SINK_STUCK_SECONDS="3"
    )
    wait_until(lambda: get(worker, "/health")[0] == 200, 120, describe=worker.log_tail)
    proxy.cut()
    send_raw(settings, payment_bytes(1), payment_bytes(2))
    wait_until(lambda: get(worker, "/health")[0] == 503, 120, describe=worker.log_tail)
    _, body = get(worker, "/health")
    assert json.loads(body)["status"] == "stuck" and "payment_events" in body
    assert "cityops_sink_stuck 1" in get(worker, "/metrics")[1]

    asked = time.monotonic()
    code = worker.stop(signal.SIGTERM, timeout=60)  # killed (-9) only if it hangs
    print(f"stuck worker stopped {time.monotonic() - asked:.1f} s after SIGTERM, code {code}")
    assert code != -signal.SIGKILL, worker.log_tail()
    assert stored_payments(ch, settings) == set()
    proxy.close()

    healthy = start_worker()
    wait_until(
        lambda: stored_payments(ch, settings) == {"pay-00001", "pay-00002"},
        120,
        describe=healthy.log_tail,
    )
    wait_until(lambda: get(healthy, "/health")[0] == 200, 60, describe=healthy.log_tail)
