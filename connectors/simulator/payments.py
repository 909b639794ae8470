"""Fee payments of the simulated dossiers: attempts, failures, retries and refunds.

A failed attempt is retried with a new payment id (that is how PayGov reports it), often
through another provider; one provider per run has a bad hour so the failure-spike alert
has something to find. Rejected dossiers that were paid online are refunded.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cityops.contract import PaymentEvent
from cityops.contract.enums import Channel, DossierStatus, PaymentMethod, PaymentStatus
from cityops.timeutil import TZ
from connectors.simulator.dossiers import DossierPlan
from connectors.simulator.world import World

_MAX_ATTEMPTS = 3


def _pick(rng: random.Random, mix: dict[PaymentMethod, float]) -> PaymentMethod:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


class PaymentSimulator:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.profile = world.profile
        self.rng = rng

    def _failure_rate(self, provider: str, at: datetime) -> float:
        hour = at.astimezone(TZ).hour
        if provider == self.world.bad_provider and hour == self.profile.bad_hour_start:
            return self.profile.bad_hour_failure_rate
        return self.profile.failure_rate.get(provider, 0.03)

    def for_dossier(self, plan: DossierPlan) -> list[PaymentEvent]:
        """The payment attempts of one dossier's fee, if it has one and got to paying."""
        if plan.fee_paid_at is None or not plan.procedure.fee_vnd:
            return []
        rng, profile = self.rng, self.profile
        online = plan.channel == Channel.ONLINE or plan.procedure.field_code in (
            profile.fee_at_end_fields
        )
        mix = profile.online_methods if online else profile.desk_methods
        at = plan.fee_paid_at.replace(microsecond=0)
        events: list[PaymentEvent] = []
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            method = _pick(rng, mix)
            provider = rng.choice(profile.providers[method])
            payment_id = f"PAY-{plan.dossier_id}-{attempt}"
            failed = rng.random() < self._failure_rate(provider, at)
            reason = None
            if failed:
                bad = provider == self.world.bad_provider and at.astimezone(TZ).hour == (
                    profile.bad_hour_start
                )
                reason = profile.bad_hour_reason if bad else rng.choice(profile.failure_reasons)
            outcome = PaymentStatus.FAILED if failed else PaymentStatus.SUCCEEDED
            settled = at + timedelta(seconds=rng.randint(5, 180))
            events.append(
                self._event(plan, payment_id, PaymentStatus.INITIATED, at, method, provider)
            )
            events.append(self._event(plan, payment_id, outcome, settled, method, provider, reason))
            if not failed:
                if self._refunded(plan):
                    refund_at = max(plan.last.at, settled) + timedelta(hours=rng.uniform(2, 48))
                    events.append(
                        self._event(
                            plan,
                            payment_id,
                            PaymentStatus.REFUNDED,
                            refund_at.replace(microsecond=0),
                            method,
                            provider,
                        )
                    )
                break
            at = settled + timedelta(minutes=rng.uniform(1, 15))
            at = at.replace(microsecond=0)
        return events

    def _refunded(self, plan: DossierPlan) -> bool:
        if plan.last.status == DossierStatus.REJECTED:
            return True
        return self.rng.random() < self.profile.refund_share

    def _event(
        self,
        plan: DossierPlan,
        payment_id: str,
        status: PaymentStatus,
        at: datetime,
        method: PaymentMethod,
        provider: str,
        reason: str | None = None,
    ) -> PaymentEvent:
        source = self.world.sources.payment
        return PaymentEvent.build(
            event_id=f"{source}:{payment_id}:{status.value}",
            occurred_at=at,
            source=source,
            payment_id=payment_id,
            dossier_id=plan.dossier_id,
            status=status,
            method=method,
            amount_vnd=plan.procedure.fee_vnd,
            fee_type=self.profile.fee_type(plan.procedure.field_code),
            agency_code=plan.agency.agency_code,
            area_code=plan.area.area_code,
            provider=provider,
            failure_reason=reason,
        )
