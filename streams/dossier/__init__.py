"""Dossier domain: per-dossier lifecycle state, deadlines and their alerts."""
