"""`cityops kafka init` against the real broker: every topic from settings, checked, idempotent;
and a broker that does not create topics on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaTimeoutError

from cityops.contract import DOSSIER, SOURCE_TOPICS
from cityops.kafka import make_admin
from cityops.settings import Settings
from streams.topics import project_plans
from tests.support.pipeline import worker_env


def init(settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cityops.cli.main", "kafka", "init"],
        env=worker_env(settings, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def described(settings: Settings) -> dict[str, dict]:
    admin = make_admin(settings.kafka)
    try:
        mine = [t for t in admin.list_topics() if t.startswith(settings.kafka.namespace)]
        topics = {d["name"]: d for d in admin.describe_topics(mine)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in mine]
        if resources:
            for name, configs in admin.describe_configs(resources)["topic"].items():
                topics[name]["configs"] = {key: c["value"] for key, c in configs.items()}
    finally:
        admin.close()
    return topics


def test_init_creates_every_topic_from_settings_then_only_checks(settings: Settings) -> None:
    first = init(settings, CITYOPS_KAFKA__PARTITIONS="4")
    assert first.returncode == 0, first.stderr
    settings.kafka.partitions = 4
    plans = project_plans(settings)
    topics = described(settings)
    assert set(topics) == {plan.name for plan in plans}
    for plan in plans:
        topic = topics[plan.name]
        assert len(topic["partitions"]) == plan.partitions, plan.name
        assert {len(p["replica_nodes"]) for p in topic["partitions"]} == {1}, plan.name
        assert topic["configs"]["min.insync.replicas"] == "1", plan.name
    for spec in SOURCE_TOPICS:  # the settings' count, and the state changelog follows it
        assert len(topics[spec.name(settings.kafka.namespace)]["partitions"]) == 4
    changelogs = [name for name in topics if name.endswith("dossier-state-changelog")]
    assert len(changelogs) == 1 and len(topics[changelogs[0]]["partitions"]) == 4
    assert topics[changelogs[0]]["configs"]["cleanup.policy"] == "compact"

    again = init(settings, CITYOPS_KAFKA__PARTITIONS="4")
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout.replace("0 created", "")


def test_wrong_partition_count_is_one_clear_line_and_creates_nothing(settings: Settings) -> None:
    dossier = DOSSIER.name(settings.kafka.namespace)
    admin = make_admin(settings.kafka)
    admin.create_topics([NewTopic(dossier, 2, 1)])
    admin.close()
    result = init(settings)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert dossier in lines[0] and "has 2, wants 6" in lines[0] and "kafka.partitions" in lines[0]
    assert set(described(settings)) == {dossier}


def test_replication_factor_beyond_the_cluster_is_refused(settings: Settings) -> None:
    result = init(settings, CITYOPS_KAFKA__REPLICATION_FACTOR="3")
    assert result.returncode == 1
    assert "replication factor 3: the cluster has 1 broker(s)" in result.stderr
    assert "Traceback" not in result.stderr
    assert described(settings) == {}


def test_the_broker_does_not_create_topics_on_first_use(settings: Settings) -> None:
    typo = f"{settings.kafka.namespace}.cityops.dosier.v1"
    producer = KafkaProducer(**settings.kafka.client_kwargs(), max_block_ms=3000)
    try:
        with pytest.raises(KafkaTimeoutError):
            producer.send(typo, b"x").get(timeout=10)
    finally:
        producer.close()
    assert typo not in described(settings)


def test_worker_refuses_topics_that_differ_from_its_settings(start_worker) -> None:  # type: ignore[no-untyped-def]
    worker = start_worker(CITYOPS_KAFKA__PARTITIONS="4")  # the topics were created with 6
    assert worker.process is not None
    assert worker.process.wait(120) == 1, worker.log_tail()
    log = worker.log_path.read_text()
    assert "partition count differs from settings (kafka.partitions)" in log
    assert "has 6, wants 4" in log and "Traceback" not in log
