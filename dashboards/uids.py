"""Dashboard uids, on their own so panels can link to a board without importing it."""

WALL = "cityops-wall"
DOSSIERS = "cityops-dossiers"
PAYMENTS = "cityops-payments"
PORTAL = "cityops-portal"
PIPELINE = "cityops-pipeline"
