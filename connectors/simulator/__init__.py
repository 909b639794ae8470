"""The simulator: a realistic, seeded day of the province as contract events.

`generate()` is the library entry point (stream tests feed the pipeline with it);
`cityops simulate` publishes its events to Kafka directly or through the real adapters.
"""

from connectors.simulator.generator import generate, live_start
from connectors.simulator.identities import SourceNames, raw_applicant_id
from connectors.simulator.profile import DEFAULT_PROFILE, Profile

__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "SourceNames",
    "generate",
    "live_start",
    "raw_applicant_id",
]
