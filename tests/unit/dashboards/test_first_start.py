"""The rendered provisioning works on Grafana 11.6's first start, and on every start after.

No Grafana runs here, so this replays what Grafana 11.6 does with the files, in its order
(read from grafana/grafana, pkg/services/provisioning): `RunInitProvisioners` provisions
datasources, plugins, then alerting; rule groups name their folder by title, looked up at
the root and, when missing, created with a random uid. Only then does `Run` provision
dashboards: a provider's folder is looked up by `folderUid` (by title when it has none) and,
when missing, created with that uid and title, which fails when a folder of the same title
already exists at the root ("a folder with the same name already exists"). A provider that
fails provisions none of its dashboards.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards.render import rendered_files

_uids = itertools.count()


class SameNameExists(Exception):
    pass


@dataclass
class FakeGrafana:
    """Folders, dashboards and rule groups as Grafana's database keeps them."""

    folders: dict[str, str] = field(default_factory=dict)  # uid -> title
    dashboards: dict[str, str] = field(default_factory=dict)  # dashboard uid -> folder uid
    rule_groups: dict[str, str] = field(default_factory=dict)  # group -> folder uid
    errors: list[str] = field(default_factory=list)

    def _create_folder(self, uid: str, title: str) -> str:
        if title in self.folders.values():
            raise SameNameExists(title)
        self.folders[uid] = title
        return uid

    def _by_title(self, title: str) -> str | None:
        return next((uid for uid, t in self.folders.items() if t == title), None)

    def start(self, files: dict[Path, str]) -> None:
        """One start: alerting (init provisioners), then dashboards (background service)."""
        documents = {p: yaml.safe_load(c) for p, c in files.items() if p.suffix == ".yaml"}
        for path, doc in documents.items():
            if path.parts[1] != "alerting":
                continue
            for group in doc.get("groups", []):
                uid = self._by_title(group["folder"]) or self._create_folder(
                    f"random-{next(_uids)}", group["folder"]
                )
                self.rule_groups[group["name"]] = uid
        boards = [json.loads(c) for p, c in files.items() if p.parts[0] == "dashboards"]
        for path, doc in documents.items():
            if path.parts[1] != "dashboards":
                continue
            for provider in doc["providers"]:
                uid = provider.get("folderUid")
                found = uid if uid in self.folders else None
                if not uid:
                    found = self._by_title(provider["folder"])
                try:
                    folder = found or self._create_folder(
                        uid or f"random-{next(_uids)}", provider["folder"]
                    )
                except SameNameExists as error:
                    self.errors.append(f"provider {provider['name']}: folder {error} exists")
                    continue
                for board in boards:
                    self.dashboards[board["uid"]] = folder


def _expected_boards() -> set[str]:
    return {json.loads(c)["uid"] for p, c in rendered_files().items() if p.parts[0] == "dashboards"}


def test_first_start_provisions_every_dashboard_and_rule_group() -> None:
    grafana = FakeGrafana()
    grafana.start(rendered_files())
    assert not grafana.errors
    assert set(grafana.dashboards) == _expected_boards()
    assert grafana.rule_groups, "the rules have a folder"
    dashboard_folders = set(grafana.dashboards.values())
    assert dashboard_folders.isdisjoint(grafana.rule_groups.values())


def test_restart_finds_the_same_folders() -> None:
    grafana = FakeGrafana()
    grafana.start(rendered_files())
    first = (dict(grafana.folders), dict(grafana.dashboards), dict(grafana.rule_groups))
    grafana.start(rendered_files())
    assert not grafana.errors
    assert (grafana.folders, grafana.dashboards, grafana.rule_groups) == first


def test_the_replay_catches_one_title_for_both_folders() -> None:
    """The layout this replaced (rules and dashboards both in a folder titled `cityops`)
    fails here as it did in Grafana: the replay is strict enough to matter."""
    files = dict(rendered_files())
    alerting = next(p for p in files if p.parts[1:2] == ("alerting",))
    provider = next(p for p in files if p.parts[1:2] == ("dashboards",))
    rules: Any = yaml.safe_load(files[alerting])
    boards: Any = yaml.safe_load(files[provider])
    for group in rules["groups"]:
        group["folder"] = "cityops"
    boards["providers"][0] |= {"folder": "cityops", "folderUid": "cityops"}
    files[alerting], files[provider] = yaml.safe_dump(rules), yaml.safe_dump(boards)
    grafana = FakeGrafana()
    grafana.start(files)
    assert grafana.errors and not grafana.dashboards


@pytest.mark.parametrize("old_title", ["cityops"])
def test_an_upgrade_over_the_old_folder_still_provisions(old_title: str) -> None:
    """A Grafana that ran the old files has a folder titled `cityops` with a random uid."""
    grafana = FakeGrafana(folders={"random-old": old_title})
    grafana.start(rendered_files())
    assert not grafana.errors
    assert set(grafana.dashboards) == _expected_boards()


@pytest.mark.parametrize(
    "channels",
    [
        {},
        {"CITYOPS_ALERTING__WEBHOOK_URL": "https://duty.example/hook"},
        {
            "CITYOPS_ALERTING__EMAIL_TO": "ops@example.org",
            "CITYOPS_ALERTING__SMTP_HOST": "smtp.example.org:587",
            "CITYOPS_ALERTING__TELEGRAM_CHAT_ID": "-100123",
            "CITYOPS_ALERTING__TELEGRAM_BOT_TOKEN_PATH": "/run/secrets/bot",
        },
        {"CITYOPS_ALERTING__TELEGRAM_CHAT_ID": "-100123"},
    ],
    ids=["none", "webhook", "mail-and-telegram", "telegram-without-token"],
)
def test_alerting_file_loads_whatever_channels_are_set(
    channels: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grafana refuses to start when a policy names a missing receiver or a message names a
    missing template, so every reference in the rendered alerting file must resolve."""
    from cityops.settings import Settings

    for name, value in channels.items():
        monkeypatch.setenv(name, value)
    files = rendered_files(Settings().alerting)
    doc = yaml.safe_load(next(c for p, c in files.items() if p.parts[1:2] == ("alerting",)))
    receivers = {p["name"] for p in doc.get("contactPoints", [])}
    for policy in doc.get("policies", []):
        named = {policy["receiver"], *(r["receiver"] for r in policy.get("routes", []))}
        assert named <= receivers
    templates = "".join(t["template"] for t in doc["templates"])
    for point in doc.get("contactPoints", []):
        for receiver in point["receivers"]:
            for used in _template_names(str(receiver["settings"])):
                assert f'define "{used}"' in templates, used
    complete = bool(channels) and channels != {"CITYOPS_ALERTING__TELEGRAM_CHAT_ID": "-100123"}
    assert complete == bool(doc.get("policies")), "no usable channel: Grafana keeps its own"


def _template_names(text: str) -> list[str]:
    import re

    return re.findall(r'template "([^"]+)"', text)
