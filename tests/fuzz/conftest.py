"""The fuzz suite's summary: the case count is printed, and a full run under the bar fails."""

from __future__ import annotations

import pytest

from tests.fuzz.cases import BUDGET, CASES, MIN_CASES, SCALE, summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CASES:
        terminalreporter.write_line(summary())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ran_all = all(CASES[family] for family in BUDGET) and SCALE >= 1
    if ran_all and exitstatus == 0 and sum(CASES.values()) < MIN_CASES:
        session.exitstatus = 1
        print(f"\nfuzz: fewer than {MIN_CASES} generated cases: {summary()}")
