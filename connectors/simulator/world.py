"""What stays fixed for one simulation run: reference data, profile, seed-picked traits.

Built once and shared by the dossier, payment and portal generators, so per-event work is
table lookups rather than recomputation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pydantic import SecretStr

from cityops.reference import Agency, Area, Procedure, ReferenceData, load_reference
from cityops.settings import REFERENCE_DIR, Settings
from connectors.simulator.identities import SourceNames
from connectors.simulator.profile import DEFAULT_PROFILE, Profile


@dataclass
class World:
    reference: ReferenceData
    profile: Profile
    seed: int
    hash_key: SecretStr
    sources: SourceNames
    procedures: list[Procedure] = field(init=False)
    procedure_weights: list[float] = field(init=False)
    areas: list[Area] = field(init=False)
    area_weights: list[float] = field(init=False)
    #: Agencies that are chronically late this run (the "who is late" story of the wall).
    late_agencies: frozenset[str] = field(init=False)
    #: The payment provider that has a bad hour this run.
    bad_provider: str = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(f"{self.seed}:world")
        self.procedures = sorted(self.reference.procedures.values(), key=lambda p: p.procedure_code)
        self.procedure_weights = [p.weight for p in self.procedures]
        self.areas = sorted(self.reference.local_areas(), key=lambda a: a.area_code)
        self.area_weights = [max(a.population, 1) for a in self.areas]
        business_agencies = {p.agency_code for p in self.procedures if p.field_code == "DKDN"}
        candidates = sorted(set(self.reference.agencies) - business_agencies)
        count = min(self.profile.late_agency_count, len(candidates))
        self.late_agencies = frozenset(rng.sample(candidates, count))
        cashless = sorted({p for ps in self.profile.providers.values() for p in ps} - {"counter"})
        self.bad_provider = rng.choice(cashless)
        self._local_agency = {
            a.area_code: self.reference.local_agency(a.area_code) for a in self.areas
        }

    @classmethod
    def default(
        cls,
        seed: int,
        *,
        reference: ReferenceData | None = None,
        profile: Profile = DEFAULT_PROFILE,
        hash_key: SecretStr | None = None,
        sources: SourceNames | None = None,
    ) -> World:
        """The world of a run, with the shipped reference data and the default hash key
        unless told otherwise (tests use it to learn which agencies a seed made late)."""
        return cls(
            reference=reference or load_reference(REFERENCE_DIR),
            profile=profile,
            seed=seed,
            hash_key=hash_key or Settings.model_fields["hash_key"].default,
            sources=sources or SourceNames(),
        )

    def agency_for(self, procedure: Procedure, area: Area) -> Agency:
        """The resolving body: fixed for provincial procedures, else the area's committee."""
        if procedure.agency_code:
            return self.reference.agencies[procedure.agency_code]
        return self._local_agency[area.area_code]

    def late_share(self, procedure: Procedure, agency: Agency) -> float:
        by_field = self.profile.late_share_by_field.get(procedure.field_code)
        if by_field is not None:
            return by_field
        if agency.agency_code in self.late_agencies:
            return self.profile.late_share_late_agency
        return self.profile.late_share_normal
