"""Dossier connector: the national portal's sync records -> `cityops.dossier.v1`."""
