"""The `cityops connectors` commands as an operator runs them: separate processes, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from cityops.contract import DEADLETTER, DOSSIER, PAYMENT
from cityops.settings import Settings
from connectors.adapters.pull.fake_feed import FakeFeed
from connectors.dossier.samples import sync_record
from connectors.testing.harness import read_topic, wait_until
from connectors.testing.samples import contract_event

CLI = [sys.executable, "-m", "cityops.cli.main"]


def write_config(path: Path, settings: Settings, connectors: dict) -> Path:
    document = {
        "kafka": {"namespace": settings.kafka.namespace},
        "state_dir": str(settings.state_dir),
        "connectors": connectors,
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_run_publishes_until_sigterm_then_flushes_and_summarises(settings, tmp_path) -> None:
    feed = FakeFeed("NgayCapNhat", "MaHoSo", token="feed-token-123")
    feed.add([sync_record(f"HS-{i}", 2, f"2025030308{i:02d}00") for i in range(8)])
    config = write_config(
        tmp_path / "cityops.yaml",
        settings,
        {
            "dossier": {
                "source": "egov-cli",
                "base_url": feed.url,
                "api_token": "feed-token-123",
                "poll_interval": 0.1,
            }
        },
    )
    process = subprocess.Popen(
        [*CLI, "connectors", "run", "dossier", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    topic = DOSSIER.name(settings.kafka.namespace)
    try:
        wait_until(lambda: len(read_topic(settings.kafka, topic)) >= 8, "8 events in Kafka")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        feed.close()
    assert process.returncode == 0, output
    assert "SIGTERM" in output and "sent" in output
    assert "feed-token-123" not in output
    assert len(read_topic(settings.kafka, topic)) == 8


def test_import_reports_published_and_rejected_then_resumes(settings, tmp_path) -> None:
    rows = [contract_event("payment", "bank-a", i).to_json_bytes() for i in range(5)]
    rows.insert(2, b'{"payment_id": "half')
    path = tmp_path / "payments.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    config = write_config(tmp_path / "c.yaml", settings, {"payment": {"source": "bank-a"}})
    command = [*CLI, "connectors", "import", "payment", str(path), "--config", str(config)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "published" in first.stderr and "invalid_json" in first.stderr
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "skipped" in second.stderr
    ns = settings.kafka.namespace
    events = read_topic(settings.kafka, PAYMENT.name(ns))
    assert len({json.loads(r.value)["event_id"] for r in events}) == len(events) == 5
    assert len(read_topic(settings.kafka, DEADLETTER.name(ns))) == 1


def test_import_of_an_empty_workbook_is_one_line_not_a_traceback(settings, tmp_path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    config = write_config(tmp_path / "c.yaml", settings, {"dossier": {"source": "egov-file"}})
    command = [*CLI, "connectors", "import", "dossier", str(path), "--config", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: empty.xlsx: not a readable .xlsx workbook" in result.stderr
