"""Testing kit for connectors: sample builders and the contract suite every connector passes."""
