"""The topics a worker's Faust app uses, read from the app itself (built, not started).

`cityops kafka init` creates the worker's internal topics (table changelogs, rate signals)
ahead of any worker, with the same partitions, replication factor and cleanup policy Faust
would give them, plus the deployment's `min.insync.replicas`; a worker that finds them
existing only checks them. The topics it reads but does not own (the contract's) are what a
worker waits for before subscribing.

Only Faust's public topic attributes are read (`app.tables`, `Table.changelog_topic`,
`TopicT.partitions/replicas/config/compacting/deleting/retention/internal`).
"""

from __future__ import annotations

import faust
from mode.utils.times import want_seconds

from cityops.contract import ALL_TOPICS
from cityops.kafka_topics import Applied, TopicPlan, apply_plans, base_configs, contract_plan
from cityops.settings import Settings
from streams.context import Context


def build(settings: Settings) -> Context:
    """The worker's app with every processor registered, not started (no sink needed)."""
    from streams.app import create_app

    return create_app(settings, sink=None)


def init_topics(settings: Settings) -> tuple[list[TopicPlan], Applied]:
    """What `cityops kafka init` does (also the demo, test fixtures and benchmarks): create
    every topic of the project that is missing, check the others."""
    plans = project_plans(settings)
    return plans, apply_plans(settings.kafka, plans)


def project_plans(settings: Settings) -> list[TopicPlan]:
    """Every topic of the project: the contract's, then the workers' internal ones."""
    return plans_of(build(settings))


def plans_of(ctx: Context) -> list[TopicPlan]:
    """Every topic of the project, from a worker's app already built."""
    contract = [contract_plan(spec, ctx.settings.kafka) for spec in ALL_TOPICS]
    return contract + internal_plans(ctx)


def internal_plans(ctx: Context) -> list[TopicPlan]:
    """The topics the worker's app creates itself when missing: changelogs and internal
    channels."""
    topics = [t for t in ctx.topics.values() if t.internal]
    topics += [table.changelog_topic for table in ctx.app.tables.values()]
    plans = {}
    for topic in topics:
        for name in topic.topics:
            plans[name] = _plan(ctx, topic, name)
    return list(plans.values())


def subscribed_topics(ctx: Context) -> list[str]:
    """The topics the worker reads but never creates: it waits for them (`kafka init`)."""
    return sorted(name for t in ctx.topics.values() if not t.internal for name in t.topics)


def _plan(ctx: Context, topic: faust.TopicT, name: str) -> TopicPlan:
    conf = ctx.app.conf
    configs = base_configs(ctx.settings.kafka)
    policy = [
        flag for flag, on in (("compact", topic.compacting), ("delete", topic.deleting)) if on
    ]
    if policy:
        configs["cleanup.policy"] = ",".join(policy)
    if topic.retention:
        configs["retention.ms"] = str(int(want_seconds(topic.retention) * 1000))
    configs.update({key: str(value) for key, value in (topic.config or {}).items()})
    return TopicPlan(
        name=name,
        partitions=topic.partitions or conf.topic_partitions,
        replication_factor=topic.replicas or conf.topic_replication_factor,
        configs=configs,
    )
