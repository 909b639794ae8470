"""Every connector class by name, so the CLI and the contract suite find them all.

A class registers itself when it is defined with a `name` (see `Connector.__init_subclass__`);
`discover()` imports the `connector` module of every package under `connectors/`, so a new
connector needs no list to be edited anywhere.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.sdk.connector import Connector

_REGISTRY: dict[str, type[Connector]] = {}

#: Packages under `connectors/` that are infrastructure, not connectors.
NOT_CONNECTORS = frozenset({"sdk", "adapters", "testing", "scaffold", "simulator"})


class UnknownConnector(KeyError):
    pass


def register(cls: type[Connector]) -> None:
    current = _REGISTRY.get(cls.name)
    if current is not None and (current.__module__, current.__qualname__) != (
        cls.__module__,
        cls.__qualname__,
    ):
        raise ValueError(
            f"connector name {cls.name!r} is taken by {current.__module__}.{current.__qualname__}"
        )
    _REGISTRY[cls.name] = cls


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def discover() -> None:
    """Import `connectors.<pkg>.connector` for every connector package that has one."""
    import connectors

    for info in pkgutil.iter_modules(connectors.__path__):
        if not info.ispkg or info.name in NOT_CONNECTORS or info.name.startswith("_"):
            continue
        module = f"connectors.{info.name}.connector"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def all_connectors() -> list[type[Connector]]:
    discover()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get(name: str) -> type[Connector]:
    discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise UnknownConnector(f"no connector named {name!r} (known: {known})") from None
