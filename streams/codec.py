"""Decoding of Kafka records into contract models inside the workers.

Connectors validate before they publish, but a worker must not trust that: a record that
does not decode is dead-lettered with the reason and counted, and the stream moves on.
"""

from __future__ import annotations

from pydantic import ValidationError

from cityops.contract import Envelope, TopicSpec


def decode(spec: TopicSpec, value: bytes | None) -> Envelope | str:
    """The event, or the reason it is not one."""
    if spec.model is None:
        return "topic has no event model"
    if not value:
        return "empty record"
    try:
        return spec.model.model_validate_json(value)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        return f"invalid {spec.base} event: {errors}"
