"""What each role may do on Kafka, from the topic specs and the worker's app (`cityops kafka
acls`): one source of truth with `cityops kafka init`, so a new topic gets its ACLs as it gets
created.

- **Connectors** (`kafka.connector_user`; the simulator too) write and describe the source
  topics and the dead-letter topic, nothing else: no reading, no other topic, no group.
- **Workers** (`kafka.worker_user`) read and describe every contract topic they subscribe
  to, write the topics they publish (alerts, dead letters), own their internal topics (the
  state changelogs, the rate signals, Faust's own under the app id) and their consumer group.
- The CLI's `kafka init` and `kafka acls`, and the broker itself, run as a super user
  (`super.users`): no grant here.

Grants are literal names (the namespace included), but for the topics Faust makes on its own,
granted by the app id's prefix. Applying is idempotent; an ACL that is no longer planned is not
removed (say so when a topic goes away: `kafka-acls.sh --remove`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from cityops.contract import ALERTS, DEADLETTER, SOURCE_TOPICS
from cityops.kafka import make_admin
from cityops.settings import KafkaSettings, Settings
from streams.context import Context
from streams.topics import build, internal_plans, subscribed_topics

Operation = Literal["READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"]
#: A topic the worker owns: what Faust and `streams.app.internal_topics` do with it.
OWNED: tuple[Operation, ...] = ("READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS")


@dataclass(frozen=True)
class Grant:
    """`principal` may do `operations` on the topic or group `name` (or every name starting
    with it, when `prefixed`)."""

    principal: str
    resource: Literal["topic", "group"]
    name: str
    operations: tuple[Operation, ...]
    prefixed: bool = False

    def acls(self) -> list[ACL]:
        pattern = ResourcePattern(
            ResourceType.TOPIC if self.resource == "topic" else ResourceType.GROUP,
            self.name,
            ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL,
        )
        return [
            ACL(self.principal, "*", ACLOperation[op], ACLPermissionType.ALLOW, pattern)
            for op in self.operations
        ]

    def __str__(self) -> str:
        kind = f"{self.resource} prefix" if self.prefixed else self.resource
        return f"{self.principal}: {','.join(self.operations)} on {kind} {self.name}"


def principal(user: str) -> str:
    return f"User:{user}"


def role_grants(settings: Settings, ctx: Context | None = None) -> list[Grant]:
    """Every grant of every role, in a stable order."""
    ctx = ctx or build(settings)
    kafka = settings.kafka
    connector, worker = principal(kafka.connector_user), principal(kafka.worker_user)
    produced = [spec.name(kafka.namespace) for spec in (*SOURCE_TOPICS, DEADLETTER)]
    grants = [Grant(connector, "topic", name, ("WRITE", "DESCRIBE")) for name in produced]
    grants += [
        Grant(worker, "topic", name, ("READ", "DESCRIBE")) for name in subscribed_topics(ctx)
    ]
    published = [spec.name(kafka.namespace) for spec in (ALERTS, DEADLETTER)]
    grants += [Grant(worker, "topic", name, ("WRITE",)) for name in published]
    app_id = ctx.app.conf.id
    owned = [plan.name for plan in internal_plans(ctx) if not plan.name.startswith(f"{app_id}-")]
    grants += [Grant(worker, "topic", name, OWNED) for name in owned]
    # The changelogs, and what Faust makes on its own (its assignor's leader topic).
    grants.append(Grant(worker, "topic", f"{app_id}-", OWNED, prefixed=True))
    grants.append(Grant(worker, "group", app_id, ("READ", "DESCRIBE")))
    return grants


class AclsRefused(Exception):
    """The broker refused some ACLs (not a super user, or no authorizer): one line."""


def apply_grants(kafka: KafkaSettings, grants: list[Grant]) -> int:
    """Create every ACL of `grants` (existing ones are kept as they are); returns how many."""
    acls = [acl for grant in grants for acl in grant.acls()]
    admin = make_admin(kafka)
    try:
        result = admin.create_acls(acls)
    finally:
        admin.close()
    failed = result.get("failed") or []  # the error classes, in the order of the ACLs
    if failed:
        raise AclsRefused(
            f"Kafka at {kafka.bootstrap_servers} refused {len(failed)} of {len(acls)} ACLs for "
            f"kafka.sasl_username {kafka.sasl_username!r} ({failed[0].__name__}) - run it as a "
            "super user, on a broker with an authorizer"
        )
    return len(acls)
