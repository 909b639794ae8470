"""Portal activity: browsing sessions, the sessions behind online submissions, and ratings.

Ratings follow the dossier they rate, and are worse when it was late or its agency is one of
the run's late agencies, so the satisfaction views and alerts point where the delays are.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from cityops.contract import PortalEvent
from cityops.contract.enums import Channel, Device, DossierStatus, PortalKind
from connectors.simulator.dossiers import DossierPlan
from connectors.simulator.identities import session_id
from connectors.simulator.profile import ONLINE_CURVE
from connectors.simulator.worktime import DayCurve, is_working_day
from connectors.simulator.world import World

K = PortalKind
_RATINGS = (1, 2, 3, 4, 5)


class PortalSimulator:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.profile = world.profile
        self.rng = rng
        self._curve = DayCurve(ONLINE_CURVE)
        self._devices = list(self.profile.devices)
        self._device_weights = list(self.profile.devices.values())

    def _device(self) -> Device:
        return self.rng.choices(self._devices, weights=self._device_weights)[0]

    def for_dossier(self, plan: DossierPlan) -> list[PortalEvent]:
        """The online submission's session, and a rating once the result is returned."""
        events: list[PortalEvent] = []
        if plan.channel == Channel.ONLINE and plan.steps[0].status == DossierStatus.SUBMITTED:
            events += self._submission(plan)
        if plan.last.status == DossierStatus.RETURNED:
            events += self._rating(plan)
        return events

    def _submission(self, plan: DossierPlan) -> list[PortalEvent]:
        rng = self.rng
        submitted = plan.steps[0].at
        session = session_id(self.world.seed, f"submit:{plan.dossier_id}")
        device = self._device()
        code, agency = plan.procedure.procedure_code, plan.agency.agency_code
        kinds = [K.SESSION_STARTED]
        if rng.random() < self.profile.account_registered_share:
            kinds.append(K.ACCOUNT_REGISTERED)
        kinds += [K.SERVICE_VIEWED, K.SUBMISSION_STARTED, K.SUBMISSION_COMPLETED]
        start = submitted - timedelta(minutes=rng.uniform(3, 25))
        gap = (submitted - start) / len(kinds)
        return [
            self._event(session, index, kind, start + gap * index, device, code, agency)
            for index, kind in enumerate(kinds)
        ]

    def _rating(self, plan: DossierPlan) -> list[PortalEvent]:
        rng, profile = self.rng, self.profile
        online = plan.channel == Channel.ONLINE
        share = profile.rating_share_online if online else profile.rating_share_desk
        if rng.random() >= share:
            return []
        if plan.late:
            mix = profile.ratings_late_dossier
        elif plan.agency.agency_code in self.world.late_agencies:
            mix = profile.ratings_late_agency
        else:
            mix = profile.ratings_normal
        rating = rng.choices(_RATINGS, weights=mix.weights)[0]
        returned = plan.last.at
        delay = timedelta(minutes=rng.uniform(10, 2880) if online else rng.uniform(1, 5))
        device = self._device() if online else Device.KIOSK
        session = session_id(self.world.seed, f"rate:{plan.dossier_id}")
        code, agency = plan.procedure.procedure_code, plan.agency.agency_code
        at = returned + delay
        events = [
            self._event(session, 0, K.SESSION_STARTED, at, device, code, agency),
            self._event(
                session,
                1,
                K.RATING_SUBMITTED,
                at + timedelta(seconds=40),
                device,
                code,
                agency,
                rating,
            ),
        ]
        if rating <= 2 and rng.random() < 0.5:
            events.append(
                self._event(
                    session,
                    2,
                    K.FEEDBACK_SUBMITTED,
                    at + timedelta(seconds=150),
                    device,
                    code,
                    agency,
                )
            )
        return events

    def browsing(self, day: date, scale: float) -> list[PortalEvent]:
        """Sessions of citizens looking procedures up, some starting a submission and leaving."""
        rng, profile = self.rng, self.profile
        factor = 1.0 if is_working_day(day) else profile.non_working_browse_factor
        count = round(profile.browse_sessions_per_working_day * scale * factor)
        world = self.world
        events: list[PortalEvent] = []
        for seq, start in enumerate(self._curve.sample(rng, day, count)):
            session = session_id(world.seed, f"browse:{day}:{seq}")
            device = self._device()
            index = 0
            events.append(self._event(session, index, K.SESSION_STARTED, start, device))
            at = start
            for _ in range(rng.randint(1, 4)):
                procedure = rng.choices(world.procedures, weights=world.procedure_weights)[0]
                area = rng.choices(world.areas, weights=world.area_weights)[0]
                agency = world.agency_for(procedure, area).agency_code
                at += timedelta(seconds=rng.randint(15, 240))
                index += 1
                events.append(
                    self._event(
                        session,
                        index,
                        K.SERVICE_VIEWED,
                        at,
                        device,
                        procedure.procedure_code,
                        agency,
                    )
                )
            if rng.random() < profile.abandoned_submission_share:
                index += 1
                at += timedelta(seconds=rng.randint(30, 300))
                events.append(
                    self._event(
                        session,
                        index,
                        K.SUBMISSION_STARTED,
                        at,
                        device,
                        procedure.procedure_code,
                        agency,
                    )
                )
        return events

    def _event(
        self,
        session: str,
        index: int,
        kind: PortalKind,
        at: datetime,
        device: Device,
        procedure_code: str | None = None,
        agency_code: str | None = None,
        rating: int | None = None,
    ) -> PortalEvent:
        source = self.world.sources.portal
        return PortalEvent.build(
            event_id=f"{source}:{session}:{index}",
            occurred_at=at.replace(microsecond=0),
            source=source,
            kind=kind,
            session_id=session,
            procedure_code=procedure_code,
            agency_code=agency_code,
            rating=rating,
            device=device,
        )
