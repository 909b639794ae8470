"""Every registered connector against the contract suite's checks that need no broker
(connectors/testing/suite.py): a fake producer stands in for Kafka, the adapters' own local
sources (fake feed, webhook sender) are real."""

from connectors.sdk import all_connectors
from connectors.testing.suite import contract_test_class

TestConnectorContractOffline = contract_test_class(all_connectors(), offline=True)
