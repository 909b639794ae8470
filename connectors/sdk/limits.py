"""Bounds on the shape of source input, shared by every adapter.

Contract records are flat (an object of scalars, a list of them per request), so anything
nested deeper than a few levels is hostile or broken; refusing it early keeps a deep
structure from reaching code (validation, dumping a dead letter) that recurses on it.
"""

from __future__ import annotations

from typing import Any

#: Deepest nesting of lists/objects accepted in one record or request body.
MAX_NESTING = 32


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether `value` nests lists/dicts more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
