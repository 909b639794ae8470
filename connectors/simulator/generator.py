"""`generate()`: a seeded, deterministic stream of contract events for a window of time.

Every draw comes from random generators seeded with (seed, day, stream), and a whole day is
drawn even when the window covers part of it, so a given day always holds the same dossiers
whatever window is asked for. Events are built once, sorted by `occurred_at`, and only then
perturbed (live re-timing, shuffle, duplicates) on request.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import SecretStr

from cityops.contract import Envelope
from cityops.contract.enums import Channel
from cityops.reference import ReferenceData
from cityops.timeutil import TZ, utcnow
from connectors.simulator.dossiers import DossierPlan, DossierPlanner, render
from connectors.simulator.identities import SourceNames, dossier_id
from connectors.simulator.payments import PaymentSimulator
from connectors.simulator.perturb import LiveClock, shuffled, to_live, with_duplicates
from connectors.simulator.portal import PortalSimulator
from connectors.simulator.profile import DEFAULT_PROFILE, DESK_CURVE, ONLINE_CURVE, Profile
from connectors.simulator.worktime import CLOSE, OPEN, DayCurve, is_working_day, local_midnight
from connectors.simulator.world import World

_DESK = DayCurve(DESK_CURVE)
_ONLINE = DayCurve(ONLINE_CURVE)


@dataclass(frozen=True)
class Window:
    """The simulated span [start, end) in local time."""

    start: datetime
    end: datetime

    def days(self) -> list[date]:
        first, last = self.start.date(), (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def __contains__(self, ts: datetime) -> bool:
        return self.start <= ts < self.end


def live_start(now: datetime) -> datetime:
    """Where a live run starts in simulated time: now if offices are open, else 7:30 of the
    latest working day, so a demo in the evening still replays a busy working day."""
    local = now.astimezone(TZ).replace(microsecond=0)
    if is_working_day(local.date()) and OPEN <= local.time() < CLOSE:
        return local
    day = local.date()
    while not is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, OPEN, tzinfo=TZ)


class _Day:
    """The dossiers, payments and portal events that start on one local day."""

    def __init__(self, world: World, day: date, scale: float) -> None:
        self.world, self.day, self.scale = world, day, scale
        seed = world.seed
        self.planner = DossierPlanner(world, random.Random(f"{seed}:{day}:dossiers"))
        self.payments = PaymentSimulator(world, random.Random(f"{seed}:{day}:payments"))
        self.portal = PortalSimulator(world, random.Random(f"{seed}:{day}:portal"))
        self.browsing = PortalSimulator(world, random.Random(f"{seed}:{day}:browse"))

    def dossier_plans(self) -> list[DossierPlan]:
        world, profile, planner = self.world, self.world.profile, self.planner
        rng = planner.rng
        working = is_working_day(self.day)
        drawn = round(profile.dossiers_per_working_day * self.scale * rng.uniform(0.9, 1.1))
        firsts: list[tuple[datetime, int, Channel]] = []
        procedures = rng.choices(range(len(world.procedures)), world.procedure_weights, k=drawn)
        for index in procedures:
            channel = planner.pick_channel(world.procedures[index])
            if channel == Channel.ONLINE:
                if working or rng.random() < profile.non_working_online_factor:
                    firsts.append((_ONLINE.sample(rng, self.day, 1)[0], index, channel))
            elif working:
                firsts.append((_DESK.sample(rng, self.day, 1)[0], index, channel))
        firsts.sort(key=lambda item: (item[0], item[1]))
        plans = []
        for seq, (first, index, channel) in enumerate(firsts, start=1):
            plan = planner.new(
                dossier_id(world.seed, self.day, seq), world.procedures[index], channel
            )
            planner.live(plan, first)
            plans.append(plan)
        return plans

    def due_soon_plans(self, window: Window) -> list[DossierPlan]:
        """Live-mode dossiers that fall due minutes after they are received."""
        world, planner = self.world, self.planner
        hours = (window.end - window.start).total_seconds() / 3600
        count = max(1, round(world.profile.live_due_soon_per_hour * hours * self.scale))
        plans = []
        for n in range(count):
            procedure = planner.rng.choices(world.procedures, weights=world.procedure_weights)[0]
            plan = planner.new(
                f"{dossier_id(world.seed, self.day, 0)}-L{n:04d}", procedure, Channel.DIRECT
            )
            at = window.start + timedelta(minutes=1) + (window.end - window.start) * n / count
            planner.due_soon(plan, at, planner.rng.uniform(2, 15))
            plans.append(plan)
        return plans


def _resolve_start(day: date | None, start: datetime | None) -> datetime:
    if start is not None:
        if start.tzinfo is None:
            raise ValueError("start must carry a time zone")
        return start.astimezone(TZ)
    if day is None:
        raise ValueError("give a day, a start time, or live=True")
    return local_midnight(day)


def generate(
    *,
    day: date | None = None,
    start: datetime | None = None,
    hours: float = 24.0,
    seed: int = 1,
    scale: float = 1.0,
    duplicates: float = 0.0,
    shuffle_window: int = 0,
    live: bool = False,
    now: datetime | None = None,
    speedup: float = 1.0,
    limit: int | None = None,
    backlog_days: int = 0,
    reference: ReferenceData | None = None,
    profile: Profile = DEFAULT_PROFILE,
    hash_key: SecretStr | None = None,
    sources: SourceNames | None = None,
) -> list[Envelope]:
    """Contract events of the simulated province, in emission order.

    The window is `hours` from `start` (or from local midnight of `day`). In `live` mode the
    window starts at `live_start(now)` and every timestamp is moved to
    `now + (t - window start) / speedup`, and a few dossiers fall due minutes after they are
    received. Without `shuffle_window` or `duplicates` the order is by `occurred_at`.
    `backlog_days` > 0 also draws dossiers begun that many days before the window and emits
    their changes that fall inside it (a realistic wall: results of earlier dossiers), at the
    price of streams where a dossier's first emitted event is not its first change.
    `hash_key` must be the deployment's key when the events are compared with what an adapter
    makes from the same source records (it hashes the applicant id).
    """
    if scale <= 0 or hours <= 0 or speedup <= 0:
        raise ValueError("scale, hours and speedup must be positive")
    if live:
        now = now or utcnow()
        window_start = live_start(now)
    else:
        window_start = _resolve_start(day, start)
    window = Window(window_start, window_start + timedelta(hours=hours))
    world = World.default(
        seed, reference=reference, profile=profile, hash_key=hash_key, sources=sources
    )
    keyed: list[tuple[datetime, int, Envelope]] = []
    due_soon: dict[str, float] = {}

    def add(events: list[Envelope]) -> None:
        for event in events:
            if event.occurred_at in window:
                keyed.append((event.occurred_at, len(keyed), event))

    days = window.days()
    backlog = [days[0] - timedelta(days=n) for n in range(backlog_days, 0, -1)]
    for the_day in backlog:
        earlier = _Day(world, the_day, scale)
        for plan in earlier.dossier_plans():
            add(render(plan, world))
            add(earlier.payments.for_dossier(plan))
            add(earlier.portal.for_dossier(plan))
    for index, the_day in enumerate(days):
        sim = _Day(world, the_day, scale)
        plans = sim.dossier_plans()
        if live and index == 0:
            extra = sim.due_soon_plans(window)
            due_soon.update({p.dossier_id: p.due_soon_minutes or 0.0 for p in extra})
            plans += extra
        for plan in plans:
            if plan.steps[0].at not in window:
                continue
            add(render(plan, world))
            add(sim.payments.for_dossier(plan))
            add(sim.portal.for_dossier(plan))
        add(sim.browsing.browsing(the_day, scale))
    keyed.sort(key=lambda item: (item[0], item[1]))
    events = [event for _, _, event in keyed]
    if live:
        events = to_live(events, LiveClock(window.start, now or window.start, speedup), due_soon)
    rng = random.Random(f"{seed}:perturb")
    events = shuffled(events, shuffle_window, rng)
    events = with_duplicates(events, duplicates, rng)
    return events[:limit] if limit is not None else events


__all__ = ["Window", "generate", "live_start"]
