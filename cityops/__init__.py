"""cityops core: the event contract, settings and reference data shared by every component.

Connectors, stream workers and dashboards all import their topic names, event models and
table names from here, so that a rename happens in exactly one place.
"""

__version__ = "0.1.0"
