"""Threshold rules with hysteresis over rolling rates.

Every rule watches a *bad share* (failed payments, late resolutions, unsatisfied ratings):
it fires when the share reaches its threshold with enough samples and resolves only when it is
back under it by a margin, so a rate hovering at the threshold does not page a duty officer
every minute.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.contract.enums import AlertKind, Severity


@dataclass(frozen=True)
class RateRule:
    kind: AlertKind
    severity: Severity
    threshold: float
    min_samples: int
    #: Resolve once the rate is this far back on the good side of the threshold.
    hysteresis: float = 0.05

    def should_fire(self, rate: float | None, samples: int) -> bool:
        if rate is None or samples < self.min_samples:
            return False
        return rate >= self.threshold

    def should_resolve(self, rate: float | None, samples: int) -> bool:
        if rate is None or samples < self.min_samples:
            return True
        return rate < self.threshold - self.hysteresis

    def decide(self, firing: bool, rate: float | None, samples: int) -> bool | None:
        """New firing state, or None when nothing changes."""
        if not firing and self.should_fire(rate, samples):
            return True
        if firing and self.should_resolve(rate, samples):
            return False
        return None


def describe(rate: float | None, samples: int, threshold: float) -> str:
    shown = "n/a" if rate is None else f"{rate:.0%}"
    return f"{shown} over {samples} (threshold {threshold:.0%})"
