"""Reference data of administrative units, agencies and procedures, loaded from files.

Geography changes by decree (Nam Định merged into Ninh Bình in 2025, districts were
abolished), so it is configuration: a folder of three CSV files named by
`Settings.reference_dir`. The one shipped describes the seed's province before the reform.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cityops.contract.enums import OnlineLevel


@dataclass(frozen=True)
class Area:
    area_code: str
    area_name: str
    level: str
    parent_code: str
    population: int


@dataclass(frozen=True)
class Agency:
    agency_code: str
    agency_name: str
    area_code: str
    level: str
    on_time_target: float


@dataclass(frozen=True)
class Procedure:
    procedure_code: str
    procedure_name: str
    field_code: str
    agency_level: str
    #: Fixed resolving agency for provincial procedures; empty means the local one.
    agency_code: str
    working_days: float
    fee_vnd: int
    online_level: OnlineLevel
    #: Relative frequency among dossiers (used by the simulator).
    weight: float


@dataclass(frozen=True)
class ReferenceData:
    areas: dict[str, Area]
    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]

    def local_areas(self) -> list[Area]:
        """Areas below the province: where citizens file their dossiers."""
        return [a for a in self.areas.values() if a.parent_code]

    def local_agency(self, area_code: str) -> Agency:
        """The people's committee of an area (the body resolving district-level procedures)."""
        for agency in self.agencies.values():
            if agency.area_code == area_code and agency.level != "province":
                return agency
        raise KeyError(f"no local agency for area {area_code}")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=8)
def load_reference(directory: Path) -> ReferenceData:
    areas = {
        r["area_code"]: Area(
            r["area_code"], r["area_name"], r["level"], r["parent_code"], int(r["population"] or 0)
        )
        for r in _rows(directory / "areas.csv")
    }
    agencies = {
        r["agency_code"]: Agency(
            r["agency_code"],
            r["agency_name"],
            r["area_code"],
            r["level"],
            float(r["on_time_target"]),
        )
        for r in _rows(directory / "agencies.csv")
    }
    procedures = {
        r["procedure_code"]: Procedure(
            r["procedure_code"],
            r["procedure_name"],
            r["field_code"],
            r["agency_level"],
            r["agency_code"],
            float(r["working_days"]),
            int(r["fee_vnd"]),
            OnlineLevel(r["online_level"]),
            float(r["weight"]),
        )
        for r in _rows(directory / "procedures.csv")
    }
    for agency in agencies.values():
        if agency.area_code not in areas:
            raise ValueError(f"agency {agency.agency_code} names unknown area {agency.area_code}")
    return ReferenceData(areas, agencies, procedures)
