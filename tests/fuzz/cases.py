"""How many generated cases the fuzz suite ran, per input family, for its summary line.

The issue's bar is at least `MIN_CASES` generated cases a run; `FUZZ_SCALE` (environment,
default 1) scales every family's budget for a quick local run, and the bar with it.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

MIN_CASES = 10_000
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
#: Hypothesis examples per input family; together at least MIN_CASES.
BUDGET = {
    "webhook bodies": 2500,
    "national-portal records": 2500,
    "pull pages": 2500,
    "spreadsheet rows": 2500,
}
#: Generated cases (one hypothesis example each) and the records inside them.
CASES: Counter[str] = Counter()
INPUTS: Counter[str] = Counter()
#: Figures a family reports for the summary (request latencies).
NOTES: list[str] = []


def count(family: str, inputs: int = 1) -> None:
    CASES[family] += 1
    INPUTS[family] += inputs


def budget(family: str) -> settings:
    """Hypothesis settings for one family: its share of the cases, no deadline (timings are
    checked as an invariant where the issue asks for one), no example database."""
    return settings(
        max_examples=max(1, int(BUDGET[family] * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def summary() -> str:
    names = list(BUDGET) + [family for family in CASES if family not in BUDGET]
    families = ", ".join(f"{family} {CASES[family]}" for family in names)
    total, inputs = sum(CASES.values()), sum(INPUTS.values())
    notes = "".join(f"; {note}" for note in NOTES)
    return f"fuzz: {total} generated cases ({families}); {inputs} records inside them{notes}"
