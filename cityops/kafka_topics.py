"""The project's Kafka topics, created and checked from settings (`cityops kafka init`).

Topics are the project's, not the first producer's: the local broker runs with
`auto.create.topics.enable=false`, and each topic is created here with its partitions,
replication factor and `min.insync.replicas` from `KafkaSettings`. An existing topic with
another partition count or replication factor is an error, never a silent mismatch: records
would be spread over other partitions than the worker state that belongs to them, or
"durable" writes would have fewer copies than the deployment asked for.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

from cityops.contract.topics import ALL_TOPICS, TopicSpec
from cityops.kafka import make_admin
from cityops.servers import NotReady
from cityops.settings import KafkaSettings

#: The fix printed with a topic that is missing.
INIT_FIX = "run `cityops kafka init`"


@dataclass(frozen=True)
class TopicPlan:
    """One topic as it must exist on the broker."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)


class TopicMismatch(Exception):
    """An existing topic differs from its plan, or the cluster cannot hold the plan."""


@dataclass
class Applied:
    created: list[str] = field(default_factory=list)
    #: Topics that existed already and match their plans.
    checked: list[str] = field(default_factory=list)


def base_configs(kafka: KafkaSettings, *, compacted: bool = False) -> dict[str, str]:
    """What every topic the project creates carries, plus compaction where asked."""
    configs = {"min.insync.replicas": str(kafka.min_insync_replicas)}
    if compacted:
        configs["cleanup.policy"] = "compact"
    return configs


def contract_plan(spec: TopicSpec, kafka: KafkaSettings) -> TopicPlan:
    return TopicPlan(
        name=spec.name(kafka.namespace),
        partitions=spec.partition_count(kafka.partitions),
        replication_factor=kafka.replication_factor,
        configs=base_configs(kafka, compacted=spec.compacted),
    )


def apply_plans(kafka: KafkaSettings, plans: Sequence[TopicPlan]) -> Applied:
    """Create the planned topics that do not exist; check the ones that do.

    Idempotent. Raises `TopicMismatch` (naming every mismatch) before creating anything when
    an existing topic differs in partitions or replication factor, or when the cluster has
    fewer brokers than the replication factor.
    """
    admin = make_admin(kafka)
    try:
        existing = _check_existing(admin, plans)
        applied = Applied(checked=[p.name for p in plans if p.name in existing])
        for plan in plans:
            if plan.name not in existing:
                _create(admin, plan, applied)
        _await_leaders(admin, applied.created)
        return applied
    finally:
        admin.close()


def check_plans(kafka: KafkaSettings, plans: Sequence[TopicPlan]) -> None:
    """Raise `TopicMismatch` if a planned topic exists with other partitions or replication
    factor (what a worker checks before it subscribes); creates nothing."""
    admin = make_admin(kafka)
    try:
        _check_existing(admin, plans)
    finally:
        admin.close()


def _check_existing(admin: KafkaAdminClient, plans: Sequence[TopicPlan]) -> set[str]:
    """The names that exist, after checking them against their plans."""
    existing = set(admin.list_topics())
    problems = _mismatches(admin, [p for p in plans if p.name in existing])
    if problems:
        raise TopicMismatch("; ".join(problems))
    return existing


def ensure_topics(kafka: KafkaSettings, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[str]:
    """Create the contract topics among `specs` that do not exist yet (and check the others);
    returns the names that were created."""
    return apply_plans(kafka, [contract_plan(spec, kafka) for spec in specs]).created


def missing_topics(kafka: KafkaSettings, names: Iterable[str]) -> list[str]:
    admin = make_admin(kafka)
    try:
        present = set(admin.list_topics())
    finally:
        admin.close()
    return [name for name in names if name not in present]


class TopicsMissing(NotReady):
    def __init__(self, kafka: KafkaSettings, missing: Sequence[str]) -> None:
        super().__init__(
            f"Kafka topics {', '.join(missing)} do not exist at {kafka.bootstrap_servers} - "
            f"{INIT_FIX}"
        )
        self.subject = "Kafka topics"


def check_topics(kafka: KafkaSettings, names: Sequence[str]) -> None:
    """Raise `TopicsMissing` unless every topic of `names` exists (what a worker waits for
    with `servers.wait_until_up`, polling every second: it must subscribe within seconds of
    `cityops kafka init`)."""
    missing = missing_topics(kafka, names)
    if missing:
        raise TopicsMissing(kafka, missing)


def _mismatches(admin: KafkaAdminClient, plans: Sequence[TopicPlan]) -> list[str]:
    """One phrase per kind of mismatch, naming each topic with what it has."""
    if not plans:
        return []
    wanted = {plan.name: plan for plan in plans}
    partitions: list[str] = []
    replication: list[str] = []
    for description in admin.describe_topics(list(wanted)):
        plan = wanted[description["name"]]
        found = description["partitions"]
        if len(found) != plan.partitions:
            partitions.append(f"{plan.name} has {len(found)}, wants {plan.partitions}")
        copies = sorted({len(p["replica_nodes"]) for p in found})
        if copies != [plan.replication_factor]:
            has = "/".join(str(c) for c in copies)
            replication.append(f"{plan.name} has {has}, wants {plan.replication_factor}")
    problems = []
    if partitions:
        problems.append(
            "partition count differs from settings (kafka.partitions): "
            + ", ".join(sorted(partitions))
            + " - re-create the topic and replay it, or set the count it has"
        )
    if replication:
        problems.append(
            "replication factor differs from settings (kafka.replication_factor): "
            + ", ".join(sorted(replication))
            + " - reassign the partitions, or set the factor they have"
        )
    return problems


def _await_leaders(admin: KafkaAdminClient, names: Sequence[str], timeout: float = 15) -> None:
    """Return once every partition of `names` has a leader: a producer that sends right after
    creation otherwise logs "not found in cluster metadata" errors while the broker catches up.
    """
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending and time.monotonic() < deadline:
        described = admin.describe_topics(pending)
        pending = [
            d["name"]
            for d in described
            if d["error_code"]
            or not d["partitions"]
            or any(p["leader_id"] < 0 for p in d["partitions"])
        ]
        if pending:
            time.sleep(0.1)


def _create(admin: KafkaAdminClient, plan: TopicPlan, applied: Applied) -> None:
    topic = NewTopic(
        plan.name, plan.partitions, plan.replication_factor, topic_configs=dict(plan.configs)
    )
    try:
        admin.create_topics([topic])
    except TopicAlreadyExistsError:  # created meanwhile by another init: check it instead
        problems = _mismatches(admin, [plan])
        if problems:
            raise TopicMismatch("; ".join(problems)) from None
        applied.checked.append(plan.name)
        return
    except InvalidReplicationFactorError:
        brokers = len(admin.describe_cluster()["brokers"])
        raise TopicMismatch(
            f"cannot create {plan.name} with replication factor {plan.replication_factor}: "
            f"the cluster has {brokers} broker(s) (lower kafka.replication_factor, "
            "e.g. CITYOPS_KAFKA__REPLICATION_FACTOR)"
        ) from None
    applied.created.append(plan.name)
