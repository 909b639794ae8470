"""The simulator's generator: deterministic, contract-valid, and realistic where it matters."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import jsonschema
import pytest

from cityops.contract import DossierEvent, Envelope, PaymentEvent, PortalEvent
from cityops.contract.enums import CLOSING_STATUSES, DossierStatus, PaymentStatus
from cityops.contract.jsonschema import schema_for
from cityops.privacy import applicant_ref
from cityops.settings import Settings
from cityops.timeutil import TZ
from connectors.simulator import generate, raw_applicant_id
from connectors.simulator.generator import live_start
from connectors.simulator.world import World

S = DossierStatus
WEDNESDAY = date(2025, 3, 12)
SUNDAY = date(2025, 3, 16)
SEED = 11

#: Which status may follow which, in a dossier's life.
ALLOWED_NEXT: dict[DossierStatus | None, set[DossierStatus]] = {
    None: {S.SUBMITTED, S.RECEIVED},
    S.SUBMITTED: {S.RECEIVED, S.REJECTED},
    S.RECEIVED: {S.IN_PROGRESS},
    S.IN_PROGRESS: {S.SUPPLEMENT_REQUESTED, S.FEE_REQUESTED, S.RESOLVED, S.WITHDRAWN, S.STOPPED},
    S.SUPPLEMENT_REQUESTED: {S.SUPPLEMENT_RECEIVED},
    S.SUPPLEMENT_RECEIVED: {S.FEE_REQUESTED, S.RESOLVED},
    S.FEE_REQUESTED: {S.RESOLVED},
    S.RESOLVED: {S.RETURNED},
}


@pytest.fixture(scope="module")
def day() -> list[Envelope]:
    return generate(day=WEDNESDAY, seed=SEED)


@pytest.fixture(scope="module")
def week() -> list[Envelope]:
    """Five days at a fifth of the volume: long enough for most lifecycles to finish."""
    return generate(day=WEDNESDAY, hours=24 * 8, seed=SEED, scale=0.2)


def dossiers(events: list[Envelope]) -> dict[str, list[DossierEvent]]:
    by_id: dict[str, list[DossierEvent]] = defaultdict(list)
    for event in events:
        if isinstance(event, DossierEvent):
            by_id[event.dossier_id].append(event)
    return by_id


def test_same_seed_same_events_other_seed_other_events() -> None:
    first = generate(day=WEDNESDAY, hours=6, seed=3, scale=0.2)
    again = generate(day=WEDNESDAY, hours=6, seed=3, scale=0.2)
    other = generate(day=WEDNESDAY, hours=6, seed=4, scale=0.2)
    assert [e.to_json_bytes() for e in first] == [e.to_json_bytes() for e in again]
    assert {e.event_id for e in first} != {e.event_id for e in other}


def test_a_day_is_the_same_whatever_window_contains_it(day: list[Envelope]) -> None:
    morning = generate(day=WEDNESDAY, hours=10, seed=SEED)
    in_full_day = [e for e in day if e.occurred_at < morning[0].occurred_at + timedelta(hours=9)]
    head = [e for e in morning if e.occurred_at < morning[0].occurred_at + timedelta(hours=9)]
    assert {e.event_id for e in head} == {e.event_id for e in in_full_day}


def test_every_event_matches_the_contract_schema(day: list[Envelope]) -> None:
    validators = {
        family: jsonschema.Draft202012Validator(schema_for(family))
        for family in ("dossier", "payment", "portal")
    }
    for event in day:
        payload = event.model_dump(mode="json")
        validators[event.family].validate(payload)
        assert type(event).model_validate_json(event.to_json_bytes()) == event


def test_events_are_in_time_order_with_unique_ids(day: list[Envelope]) -> None:
    times = [e.occurred_at for e in day]
    assert times == sorted(times)
    assert len({e.event_id for e in day}) == len(day)


def test_working_day_has_about_two_thousand_dossiers_and_sunday_few(day: list[Envelope]) -> None:
    sunday = generate(day=SUNDAY, seed=SEED)
    weekday_count = len(dossiers(day))
    sunday_count = len(dossiers(sunday))
    assert 1700 <= weekday_count <= 2300
    assert 0 < sunday_count < weekday_count * 0.3
    # Nobody at the desk on Sunday: only online submissions happen.
    assert {e.status for e in sunday if isinstance(e, DossierEvent)} == {S.SUBMITTED}


def test_offices_act_only_in_working_hours(week: list[Envelope]) -> None:
    staff_actions = CLOSING_STATUSES | {S.RECEIVED, S.IN_PROGRESS}
    for event in week:
        if isinstance(event, DossierEvent) and event.status in staff_actions:
            local = event.occurred_at.astimezone(TZ)
            assert local.weekday() < 5, event
            assert (local.hour, local.minute) >= (7, 30) and local.hour < 17, event


def test_lunch_is_quieter_than_the_morning(day: list[Envelope]) -> None:
    by_hour = Counter(
        e.occurred_at.astimezone(TZ).hour
        for e in day
        if isinstance(e, DossierEvent) and e.status == S.RECEIVED
    )
    assert by_hour[12] < by_hour[9] / 2


def test_status_sequences_follow_the_lifecycle(week: list[Envelope]) -> None:
    for dossier_id, events in dossiers(week).items():
        previous: DossierStatus | None = None
        for event in events:
            assert event.status in ALLOWED_NEXT.get(previous, set()), (dossier_id, previous, event)
            if event.status not in (S.SUBMITTED, S.REJECTED):
                assert event.received_at is not None and event.due_at is not None
                assert event.received_at <= event.occurred_at
            if event.status == S.RESOLVED:
                assert event.resolved_at == event.occurred_at
            previous = event.status


def test_a_supplement_moves_the_due_date_later(week: list[Envelope]) -> None:
    extended = 0
    for events in dossiers(week).values():
        statuses = [e.status for e in events]
        if S.SUPPLEMENT_RECEIVED in statuses:
            before = events[statuses.index(S.SUPPLEMENT_REQUESTED)].due_at
            after = events[statuses.index(S.SUPPLEMENT_RECEIVED)].due_at
            assert before is not None and after is not None and after > before
            extended += 1
    assert extended > 0


def test_lateness_is_concentrated_in_a_few_agencies(week: list[Envelope]) -> None:
    world = World.default(seed=SEED)
    resolved = [e for e in week if isinstance(e, DossierEvent) and e.status == S.RESOLVED]
    counts: Counter[tuple[bool, bool]] = Counter()
    for event in resolved:
        assert event.resolved_at is not None and event.due_at is not None
        late = event.resolved_at > event.due_at
        counts[event.agency_code in world.late_agencies, late] += 1

    def late_rate(in_late_agency: bool) -> float:
        late = counts[in_late_agency, True]
        return late / max(1, late + counts[in_late_agency, False])

    assert late_rate(True) > 2 * late_rate(False) > 0


def test_business_registration_is_mostly_within_one_and_a_half_days(
    week: list[Envelope],
) -> None:
    registrations = [
        e
        for e in week
        if isinstance(e, DossierEvent) and e.status == S.RESOLVED and e.field_code == "DKDN"
    ]
    on_time = [e for e in registrations if e.resolved_at and e.due_at and e.resolved_at <= e.due_at]
    assert registrations and len(on_time) / len(registrations) >= 0.95


def test_applicant_ref_is_the_keyed_hash_of_an_id_that_is_never_published(
    day: list[Envelope],
) -> None:
    key = Settings.model_fields["hash_key"].default
    for event in [e for e in day if isinstance(e, DossierEvent)][:200]:
        raw = raw_applicant_id(SEED, event.dossier_id, event.applicant_type)
        assert event.applicant_ref == applicant_ref(raw, key, event.applicant_type)
        assert raw.encode() not in event.to_json_bytes()


def test_one_provider_has_a_bad_hour(week: list[Envelope]) -> None:
    world = World.default(seed=SEED)
    outcomes: Counter[tuple[bool, PaymentStatus]] = Counter()
    for event in week:
        if isinstance(event, PaymentEvent) and event.provider == world.bad_provider:
            in_bad_hour = event.occurred_at.astimezone(TZ).hour == world.profile.bad_hour_start
            outcomes[in_bad_hour, event.status] += 1

    def failure_rate(bad_hour: bool) -> float:
        failed = outcomes[bad_hour, PaymentStatus.FAILED]
        return failed / max(1, failed + outcomes[bad_hour, PaymentStatus.SUCCEEDED])

    assert failure_rate(True) > 0.3 > failure_rate(False)


def test_payments_belong_to_fee_bearing_dossiers_and_cash_exists(day: list[Envelope]) -> None:
    payments = [e for e in day if isinstance(e, PaymentEvent)]
    fees = {e.dossier_id: e for e in day if isinstance(e, DossierEvent)}
    assert {p.method.value for p in payments} >= {"cash", "qr", "bank_transfer", "ewallet"}
    for payment in payments:
        assert payment.amount_vnd > 0 and payment.dossier_id in fees


def test_ratings_are_mostly_satisfied(week: list[Envelope]) -> None:
    ratings = [e.rating for e in week if isinstance(e, PortalEvent) and e.rating is not None]
    assert ratings and sum(1 for r in ratings if r >= 4) / len(ratings) > 0.6


def test_limit_truncates() -> None:
    assert len(generate(day=WEDNESDAY, hours=12, seed=1, scale=0.1, limit=25)) == 25


@pytest.mark.parametrize("bad", [{"scale": 0}, {"hours": -1}, {"speedup": 0}])
def test_nonsense_options_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        generate(day=WEDNESDAY, **bad)  # type: ignore[arg-type]


def test_live_start_is_now_in_office_hours_else_the_last_working_morning() -> None:
    open_now = datetime(2025, 3, 12, 10, 15, tzinfo=TZ)
    assert live_start(open_now) == open_now
    saturday_night = datetime(2025, 3, 15, 21, 0, tzinfo=TZ)
    assert live_start(saturday_night) == datetime(2025, 3, 14, 7, 30, tzinfo=TZ)


def test_backlog_adds_results_of_earlier_dossiers_inside_the_window_only() -> None:
    plain = generate(day=WEDNESDAY, seed=SEED, scale=0.2)
    with_backlog = generate(day=WEDNESDAY, seed=SEED, scale=0.2, backlog_days=3)
    start = datetime(2025, 3, 12, tzinfo=TZ)
    assert all(start <= e.occurred_at < start + timedelta(days=1) for e in with_backlog)
    assert {e.event_id for e in plain} < {e.event_id for e in with_backlog}

    def resolved(events: list[Envelope]) -> int:
        return sum(1 for e in events if isinstance(e, DossierEvent) and e.status == S.RESOLVED)

    assert resolved(with_backlog) > 2 * resolved(plain)
