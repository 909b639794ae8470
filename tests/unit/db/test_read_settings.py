"""The reader profile Grafana uses sets what cityops' own readers set (READ_SETTINGS).

The local reader runs with readonly=1, under which ClickHouse 18.16 ignores settings sent
with a query: whatever cityops' readers rely on must be in the profile itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pydantic import SecretStr

from cityops.db.client import READ_SETTINGS
from cityops.db.localusers import render
from cityops.settings import ClickHouseSettings

TEMPLATE = Path(__file__).parents[3] / "deploy/local/clickhouse/users.d/cityops.xml"


def test_reader_profile_pushes_predicates_into_views_like_cityops_readers() -> None:
    passwords = {name: SecretStr(name) for name in ClickHouseSettings.PASSWORDS}
    rendered = render(TEMPLATE.read_text(encoding="utf-8"), ClickHouseSettings(**passwords))
    profile = ET.fromstring(rendered).find("profiles/cityops_reader")
    assert profile is not None
    for name, value in READ_SETTINGS.items():
        assert profile.findtext(name) == str(value), name
