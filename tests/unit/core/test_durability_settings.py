"""Replication and standby defaults: production survives a lost broker or worker, the local
single-broker stack keeps copies of 1."""

from __future__ import annotations

import pytest

from cityops.settings import KafkaSettings, Settings, StreamsSettings
from streams.app import standby_replicas


def test_local_defaults_fit_one_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYOPS_ENV", raising=False)
    settings = Settings()
    assert (settings.kafka.replication_factor, settings.kafka.min_insync_replicas) == (1, 1)
    assert settings.streams.standby_replicas == 0
    assert settings.streams.store == "rocksdb://"


def test_production_defaults_survive_one_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_ENV", "production")
    settings = Settings()
    assert (settings.kafka.replication_factor, settings.kafka.min_insync_replicas) == (3, 2)
    assert settings.streams.standby_replicas == 1


def test_production_keeps_a_configured_standby_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_ENV", "production")
    monkeypatch.setenv("CITYOPS_STREAMS__STANDBY_REPLICAS", "0")
    assert Settings().streams.standby_replicas == 0


def test_production_keeps_what_its_configuration_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOPS_ENV", "production")
    monkeypatch.setenv("CITYOPS_STREAMS__STANDBY_REPLICAS", "1")
    settings = Settings(kafka=KafkaSettings(replication_factor=1))
    # min ISR follows a smaller factor down: above it no write could succeed.
    assert (settings.kafka.replication_factor, settings.kafka.min_insync_replicas) == (1, 1)
    assert settings.streams.standby_replicas == 1


def test_standby_copies_only_on_rocksdb() -> None:
    """Faust's memory store drops standby copies after every recovery (streams/app.py)."""
    assert standby_replicas(StreamsSettings(store="rocksdb://", standby_replicas=1)) == 1
    assert standby_replicas(StreamsSettings(store="memory://", standby_replicas=1)) == 0
