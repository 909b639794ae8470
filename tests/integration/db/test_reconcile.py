"""Batch reconciliation: the raw events, recounted in batch, agree with the views."""

from __future__ import annotations

from datetime import UTC, datetime

from cityops.db import reconcile
from cityops.db.tables import DOSSIER_OPEN, DOSSIER_STATE
from streams.sink.rows import row_from_mapping

from .conftest import EXPECTED_STATE, Backend, insert, load_crafted


def test_batch_dossier_rule_matches_the_hand_applied_rule(backend: Backend) -> None:
    load_crafted(backend)
    expected = sorted(tuple(s[c] for c in reconcile.STATE_COLUMNS) for s in EXPECTED_STATE)
    assert reconcile.batch_dossier_state(backend.client, backend.database) == expected


def test_batch_equals_views_on_the_crafted_data(backend: Backend) -> None:
    load_crafted(backend)
    assert reconcile.reconcile(backend.client, backend.database) == []


def test_a_wrong_worker_state_is_reported(backend: Backend) -> None:
    load_crafted(backend)
    wrong = next(s for s in EXPECTED_STATE if s["dossier_id"] == "D3")
    wrong = {**wrong, "status": "resolved", "closed": 1, "version": 99,
             "updated_at": datetime.now(UTC)}  # fmt: skip
    for spec in (DOSSIER_STATE, DOSSIER_OPEN):  # a worker writes both
        insert(backend, spec, [row_from_mapping(spec, wrong)])
    differences = reconcile.reconcile(backend.client, backend.database)
    assert {(d.figure, d.key) for d in differences} == {
        ("dossier_state", ("D3",)),
        ("v_dossier_open", ("D3",)),
    }
    open_d3 = next(d for d in differences if d.figure == "v_dossier_open")
    assert open_d3.batch is not None and open_d3.view is None
