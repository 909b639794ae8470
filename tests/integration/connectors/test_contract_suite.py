"""Every registered connector against the shared contract suite (connectors/testing/suite.py)."""

from connectors.sdk import all_connectors
from connectors.testing.suite import contract_test_class

TestConnectorContract = contract_test_class(all_connectors())
