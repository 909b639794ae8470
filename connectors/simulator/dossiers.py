"""Dossier lifecycles: when each status change happens, and the contract events it makes.

A lifecycle is planned first (pure timestamps and statuses, `DossierPlan`), then rendered
into `DossierEvent`s; payments and portal activity hang off the same plan so the three
streams tell one consistent story (a paid fee belongs to a received dossier, a bad rating
follows a late one).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cityops.contract import DossierEvent
from cityops.contract.enums import ApplicantType, Channel, DossierStatus, OnlineLevel
from cityops.privacy import applicant_ref
from cityops.reference import Agency, Area, Procedure
from connectors.simulator.identities import dossier_event_id, raw_applicant_id
from connectors.simulator.worktime import after_working_days, to_working_time
from connectors.simulator.world import World

S = DossierStatus
_CHANNELS = (Channel.DIRECT, Channel.ONLINE, Channel.POSTAL)
#: Two changes of one dossier never share a second: the portal's change feed keys on it.
_MIN_STEP = timedelta(seconds=60)


@dataclass(frozen=True)
class Step:
    at: datetime
    status: DossierStatus
    due_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class DossierPlan:
    dossier_id: str
    procedure: Procedure
    agency: Agency
    area: Area
    channel: Channel
    applicant_type: ApplicantType
    steps: list[Step] = field(default_factory=list)
    received_at: datetime | None = None
    #: When the fee is paid (None: no fee, or the dossier never got that far).
    fee_paid_at: datetime | None = None
    late: bool = False
    #: In live mode: minutes between receipt and due date (a dossier about to go overdue).
    due_soon_minutes: float | None = None

    @property
    def last(self) -> Step:
        return self.steps[-1]


def _seconds(ts: datetime) -> datetime:
    return ts.replace(microsecond=0)


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


class DossierPlanner:
    """Draws the lifecycle of each dossier from the world's rates."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.profile = world.profile
        self.rng = rng

    def new(self, dossier_id: str, procedure: Procedure, channel: Channel) -> DossierPlan:
        rng = self.rng
        area = rng.choices(self.world.areas, weights=self.world.area_weights)[0]
        share = self.profile.business_share.get(
            procedure.field_code, self.profile.default_business_share
        )
        kind = ApplicantType.BUSINESS if rng.random() < share else ApplicantType.CITIZEN
        agency = self.world.agency_for(procedure, area)
        return DossierPlan(dossier_id, procedure, agency, area, channel, kind)

    def pick_channel(self, procedure: Procedure) -> Channel:
        mix = self.profile.channel_mix[procedure.online_level.value]
        return self.rng.choices(_CHANNELS, weights=mix)[0]

    def live(self, plan: DossierPlan, first: datetime) -> None:
        """Plan the whole life of a dossier whose first event happens at `first`."""
        rng, profile = self.rng, self.profile
        if plan.channel == Channel.ONLINE:
            self._add(plan, first, S.SUBMITTED)
            if rng.random() < profile.rejected_share:
                self._add(plan, to_working_time(first + _minutes(rng, 10, 240), rng), S.REJECTED)
                if plan.procedure.fee_vnd:
                    plan.fee_paid_at = first + _minutes(rng, 1, 5)
                return
            received = to_working_time(first + _minutes(rng, 5, 180), rng)
        else:
            received = first
        procedure = plan.procedure
        received = _seconds(received)
        due = _seconds(after_working_days(received, procedure.working_days, rng))
        due = max(due, received + timedelta(hours=1))
        plan.received_at = received
        self._add(plan, received, S.RECEIVED, due)
        if procedure.fee_vnd and procedure.field_code not in profile.fee_at_end_fields:
            paid = plan.steps[0].at if plan.channel == Channel.ONLINE else received
            plan.fee_paid_at = paid + _minutes(rng, 1, 10)
        cursor = self._add(
            plan, to_working_time(received + _minutes(rng, 5, 120), rng), S.IN_PROGRESS, due
        )
        days = procedure.working_days
        if rng.random() < profile.withdrawn_share + profile.stopped_share:
            status = S.WITHDRAWN if rng.random() < 0.67 else S.STOPPED
            self._add(
                plan, after_working_days(cursor, rng.uniform(0.05, 0.5) * days, rng), status, due
            )
            return
        supplement = profile.supplement_share.get(
            procedure.field_code, profile.default_supplement_share
        )
        if rng.random() < supplement:
            requested = self._add(
                plan,
                after_working_days(cursor, rng.uniform(0.1, 0.5) * days, rng),
                S.SUPPLEMENT_REQUESTED,
                due,
            )
            pause = rng.uniform(0.5, 5)
            back = self._add(
                plan, after_working_days(requested, pause, rng), S.SUPPLEMENT_RECEIVED, due
            )
            # The clock paused while the applicant was away: the source recomputes the due date.
            due = _seconds(after_working_days(due, max(1, math.ceil(pause)), rng))
            plan.steps[-1] = Step(back, S.SUPPLEMENT_RECEIVED, due)
            cursor = back
        plan.late = rng.random() < self.world.late_share(procedure, plan.agency)
        resolved = self._resolution_time(cursor, due, days, plan.late)
        if procedure.fee_vnd and procedure.field_code in profile.fee_at_end_fields:
            span = max((resolved - cursor).total_seconds(), 7200)
            asked = to_working_time(cursor + timedelta(seconds=rng.uniform(0.3, 0.7) * span), rng)
            asked = self._add(plan, asked, S.FEE_REQUESTED, due)
            plan.fee_paid_at = asked + _minutes(rng, 10, 600)
            resolved = max(
                resolved, to_working_time(plan.fee_paid_at + _minutes(rng, 10, 120), rng)
            )
        resolved = self._add(plan, resolved, S.RESOLVED, due, resolved=True)
        plan.late = resolved > due
        full = procedure.online_level == OnlineLevel.FULL and plan.channel == Channel.ONLINE
        returned = (
            to_working_time(resolved + _minutes(rng, 1, 30), rng)
            if full
            else after_working_days(resolved, rng.uniform(0.05, 2), rng)
        )
        self._add(plan, returned, S.RETURNED, due, resolved=True)

    def due_soon(self, plan: DossierPlan, received: datetime, minutes: float) -> None:
        """A dossier received and in progress whose (live) due date is minutes away."""
        received = _seconds(received)
        plan.received_at = received
        plan.due_soon_minutes = minutes
        placeholder = received + timedelta(minutes=minutes)
        self._add(plan, received, S.RECEIVED, placeholder)
        self._add(plan, received + _minutes(self.rng, 1, 3), S.IN_PROGRESS, placeholder)

    def _resolution_time(
        self, cursor: datetime, due: datetime, days: float, late: bool
    ) -> datetime:
        rng = self.rng
        if late:
            return after_working_days(due, rng.uniform(0.1, 3.0), rng)
        resolved = after_working_days(cursor, rng.uniform(0.1, 0.9) * days, rng)
        if resolved > due:
            resolved = max(cursor + _MIN_STEP, due - _minutes(rng, 1, 60))
        return resolved

    def _add(
        self,
        plan: DossierPlan,
        at: datetime,
        status: DossierStatus,
        due: datetime | None = None,
        *,
        resolved: bool = False,
    ) -> datetime:
        if plan.steps and at < plan.last.at + _MIN_STEP:
            at = plan.last.at + _MIN_STEP
        if status != S.SUBMITTED:
            # Only the applicant submits at night; every other change is an official's act.
            at = to_working_time(at, self.rng)
        at = _seconds(at)
        resolved_at = None
        if resolved:
            resolved_at = at if status == S.RESOLVED else plan.last.resolved_at
        plan.steps.append(Step(at, status, due, resolved_at))
        return at


def render(plan: DossierPlan, world: World) -> list[DossierEvent]:
    """The contract events of a planned lifecycle, one per status change."""
    source = world.sources.dossier
    raw = raw_applicant_id(world.seed, plan.dossier_id, plan.applicant_type)
    common = {
        "source": source,
        "dossier_id": plan.dossier_id,
        "procedure_code": plan.procedure.procedure_code,
        "procedure_name": plan.procedure.procedure_name,
        "field_code": plan.procedure.field_code,
        "agency_code": plan.agency.agency_code,
        "agency_name": plan.agency.agency_name,
        "area_code": plan.area.area_code,
        "area_name": plan.area.area_name,
        "channel": plan.channel,
        "online_level": plan.procedure.online_level,
        "applicant_type": plan.applicant_type,
        "applicant_ref": applicant_ref(raw, world.hash_key, plan.applicant_type),
    }
    events = []
    for step in plan.steps:
        received_at = plan.received_at if step.status != S.SUBMITTED else None
        if step.status == S.REJECTED:
            received_at = None
        events.append(
            DossierEvent.build(
                event_id=dossier_event_id(source, plan.dossier_id, step.status.value, step.at),
                occurred_at=step.at,
                status=step.status,
                received_at=received_at,
                due_at=step.due_at,
                resolved_at=step.resolved_at,
                **common,
            )
        )
    return events
