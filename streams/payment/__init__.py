"""Payment domain: raw payment rows and failure signals per provider."""
