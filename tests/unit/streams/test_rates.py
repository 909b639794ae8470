"""Rolling windows by event time and threshold rules with hysteresis."""

from __future__ import annotations

from cityops.contract.enums import AlertKind, Severity
from streams.rates.rules import RateRule
from streams.rates.windows import RollingRate

RULE = RateRule(AlertKind.PAYMENT_FAILURE_SPIKE, Severity.CRITICAL, 0.25, 10)


def test_window_counts_only_recent_minutes() -> None:
    window = RollingRate()
    for minute in range(100, 120):
        window.add(minute, hits=int(minute >= 115))
    assert window.totals(5) == (5, 5)
    assert window.totals(20) == (5, 20)
    window.prune(5)
    assert min(window.buckets) == 115


def test_window_round_trips() -> None:
    window = RollingRate()
    window.add(7, 1)
    window.add(8, 0, total=3)
    assert RollingRate.from_dict(window.to_dict()) == window


def test_rule_needs_enough_samples() -> None:
    assert RULE.decide(False, 1.0, 5) is None


def test_rule_fires_and_resolves_with_hysteresis() -> None:
    assert RULE.decide(False, 0.30, 20) is True
    assert RULE.decide(True, 0.22, 20) is None  # inside the hysteresis band
    assert RULE.decide(True, 0.10, 20) is False
