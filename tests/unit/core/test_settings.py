"""Settings: file, then environment over it; secrets never printed; reference data loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from cityops.privacy import applicant_ref
from cityops.reference import load_reference
from cityops.settings import CONFIG_ENV, Settings
from cityops.timeutil import add_working_days, is_working_day, parse_local


def test_env_overrides_the_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "cityops.yaml"
    config.write_text("kafka:\n  bootstrap_servers: file:9092\nclickhouse:\n  database: fromfile\n")
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv("CITYOPS_CLICKHOUSE__DATABASE", "fromenv")
    settings = Settings()
    assert settings.kafka.bootstrap_servers == "file:9092"
    assert settings.clickhouse.database == "fromenv"


def test_secrets_are_redacted() -> None:
    settings = Settings(hash_key=SecretStr("super-secret-key"))
    assert "super-secret-key" not in repr(settings)
    assert "super-secret-key" not in settings.model_dump_json()


def test_applicant_ref_is_keyed_and_stable() -> None:
    one = applicant_ref("036 123 456 789", SecretStr("k1"))
    assert one == applicant_ref("036123456789", SecretStr("k1"))
    assert one != applicant_ref("036123456789", SecretStr("k2"))
    assert "036123456789" not in one


def test_reference_data_is_consistent() -> None:
    reference = load_reference(Settings().reference_dir)
    assert reference.local_agency("356").agency_code == "UBND-356"
    assert all(a.area_code in reference.areas for a in reference.agencies.values())


def test_source_dates_are_local_time() -> None:
    assert parse_local("20260302080000").isoformat() == "2026-03-02T01:00:00+00:00"
    with pytest.raises(ValueError):
        parse_local("not a date")


def test_working_days_skip_weekends_and_holidays() -> None:
    assert not is_working_day(date(2026, 9, 2))  # National Day
    friday = parse_local("20260306080000")
    assert add_working_days(friday, 1).isoformat() == "2026-03-09T01:00:00+00:00"  # Monday


def test_the_workers_collector_thresholds_come_from_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """streams.gc_threshold reaches the collector; 0, which would switch it off, is refused."""
    import gc

    from pydantic import ValidationError

    from streams.gc_tuning import tune_gc

    monkeypatch.setenv("CITYOPS_STREAMS__GC_THRESHOLD", "[20000, 15, 30]")
    previous = gc.get_threshold()
    try:
        tune_gc(Settings().streams.gc_threshold)
        assert gc.get_threshold() == (20000, 15, 30)
    finally:
        gc.set_threshold(*previous)
    monkeypatch.setenv("CITYOPS_STREAMS__GC_THRESHOLD", "[0, 10, 10]")
    with pytest.raises(ValidationError, match="gc_threshold"):
        Settings()
