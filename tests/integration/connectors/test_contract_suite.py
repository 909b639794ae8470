"""Every registered connector against the contract suite's checks about Kafka's
acknowledgements (stops cleanly, resumes from its checkpoint), on the real broker; the
checks that need no broker run in the unit tier (tests/unit/connectors)."""

from connectors.sdk import all_connectors
from connectors.testing.suite import contract_test_class

TestConnectorContract = contract_test_class(all_connectors())
