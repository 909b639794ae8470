"""Fuzz: spreadsheet rows (.csv and .xlsx) imported through the dossier connector (a fake
producer stands in for Kafka).

Rows are national-portal records, good or with one certainly-invalid change, a formula in a
cell, a cell over the size limit, names in any script. Invariants: the import never raises;
every good row is published exactly once, every bad one dead-lettered exactly once with a
reason.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cityops.contract import DeadLetter
from cityops.settings import KafkaSettings, Settings
from connectors.adapters.file import import_file
from connectors.adapters.file.readers import MAX_CELL_CHARS
from connectors.dossier.connector import DossierConnector
from connectors.dossier.samples import sync_record
from connectors.testing.fakes import FakeProducer
from tests.fuzz.cases import budget, count
from tests.fuzz.inputs import Fated, fated_portal_record, portal_record
from tests.support.hostile import BAD_DOSSIER_CHANGES

FAMILY = "spreadsheet rows"
FILES = itertools.count()
COLUMNS = list(sync_record("HS-1", 2, "20250303080000"))
#: Bad in a spreadsheet too: an empty cell reads as absent, so only non-empty changes.
CELL_CHANGES = BAD_DOSSIER_CHANGES.filter(
    lambda change: all(v not in (None, "") and not isinstance(v, list) for v in change.values())
)


@st.composite
def fated_row(draw: st.DrawFn) -> Fated:
    kind = draw(st.sampled_from(["good", "good", "changed", "formula", "long"]))
    if kind in ("good", "changed"):
        fated = draw(fated_portal_record()) if kind == "good" else None
        if fated is not None and fated.good:
            return fated
        record = draw(portal_record())
        record.update(draw(CELL_CHANGES))
        return Fated(record, False)
    record = draw(portal_record())
    column = draw(st.sampled_from(COLUMNS))
    if kind == "formula":
        record[column] = draw(st.sampled_from(['=HYPERLINK("http://x","SKHDT")', "=1+1", " =A1"]))
    else:
        record[column] = "x" * (MAX_CELL_CHARS + 1)
    return Fated(record, False)


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(column) for column in COLUMNS])
    workbook.save(path)
    return path


def _fits_excel(value: Any) -> bool:
    text = str(value)
    return len(text) <= 32_767 and not ILLEGAL_CHARACTERS_RE.search(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("fuzz-files"))


@budget(FAMILY)
@given(
    rows=st.lists(fated_row(), min_size=1, max_size=8), suffix=st.sampled_from([".csv", ".xlsx"])
)
def test_every_row_is_published_or_dead_lettered_once(
    folder: Path, rows: list[Fated], suffix: str
) -> None:
    if not all(_fits_excel(v) for r in rows for v in r.record.values()):
        suffix = ".csv"  # a workbook cannot hold control characters or over-long cells
    count(FAMILY, len(rows))
    n = next(FILES)
    path = write(folder / f"rows-{n}{suffix}", [r.record for r in rows])
    producer = FakeProducer()
    settings = Settings(kafka=KafkaSettings(namespace="fuzz"), state_dir=folder / f"state-{n}")
    connector = DossierConnector({"source": "egov-file"}, settings, producer=producer)
    summary = import_file(connector, path, resume=False, create_topics=False)
    good = sum(r.good for r in rows)
    published = {json.loads(s.value)["dossier_id"] for s in producer.to("dossier.v1")}
    wrongly = [r.record for r in rows if not r.good and r.record["MaHoSo"] in published]
    assert not wrongly, f"bad rows published: {wrongly}"
    assert summary.published == good, "every good row published exactly once"
    assert summary.rejected_total == len(rows) - good, "every bad row dead-lettered once"
    letters = [DeadLetter.model_validate_json(s.value) for s in producer.to("deadletter.v1")]
    assert len(letters) == len(rows) - good and all(x.reason.strip() for x in letters)
    assert len(producer.to("dossier.v1")) == good
