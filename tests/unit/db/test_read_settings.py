"""The reader profile Grafana uses sets what cityops' own readers set (READ_SETTINGS)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cityops.db.client import READ_SETTINGS

USERS = Path(__file__).parents[3] / "deploy/local/clickhouse/users.xml"


def test_reader_profile_pushes_predicates_into_views_like_cityops_readers() -> None:
    profile = ET.parse(USERS).getroot().find("profiles/readonly")
    assert profile is not None
    for name, value in READ_SETTINGS.items():
        assert profile.findtext(name) == str(value), name
