"""Render the local stack's ClickHouse 18.16 accounts from the settings.

`deploy/local/clickhouse.sh` runs `python -m cityops.db.localusers TEMPLATE` and installs
what it prints as `users.d/cityops.xml`: user names, SHA-256 of the passwords (generated into
`.stack/secrets.env` here at the first start, like `cityops stack secrets`), the reader's
database and limits all come from `Settings` (env, `CITYOPS_CONFIG`, the secrets file), the
same values the clients connect with, so changing a password is one setting, picked up by the
running server. The networks are loopback whatever `clickhouse.account_networks` says: the
local server serves this machine only (`account_networks` is for `cityops db accounts` on a
real deployment).
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

from cityops.db.accounts import READER_LIMITS, password_sha256
from cityops.db.client import READ_SETTINGS
from cityops.db.sqltext import identifier
from cityops.secretcheck import write_local_secrets
from cityops.settings import ClickHouseSettings, Settings, local_secrets_file

_PLACEHOLDER = re.compile(r"@[A-Z_]+@")
#: Where the local stack's accounts may connect from.
LOOPBACK = ["127.0.0.1", "::1"]


def _networks(networks: list[str]) -> str:
    """18.16's `<networks>`: `<ip>` takes an address or a CIDR network."""
    return "".join(f"<ip>{ipaddress.ip_network(n, strict=False)}</ip>" for n in networks)


def values(settings: ClickHouseSettings) -> dict[str, str]:
    """The template's @NAMES@ and what replaces each."""
    limits = [f"            <{k}>{v}</{k}>" for k, v in READER_LIMITS.items()]
    limits.append("            <result_overflow_mode>throw</result_overflow_mode>")
    # What cityops' own readers send with each query (readonly=1 ignores sent settings).
    limits += [f"            <{k}>{v}</{k}>" for k, v in READ_SETTINGS.items()]
    return {
        "MIGRATOR_USER": identifier(settings.migrator_user),
        "WRITER_USER": identifier(settings.user),
        "READER_USER": identifier(settings.reader_user),
        "MIGRATOR_SHA256": password_sha256(settings.secret("migrator_password")),
        "WRITER_SHA256": password_sha256(settings.secret("password")),
        "READER_SHA256": password_sha256(settings.secret("reader_password")),
        "READER_DATABASE": identifier(settings.api_database),
        "NETWORKS": _networks(LOOPBACK),
        "READER_LIMITS": "\n".join(limits),
    }


def render(template: str, settings: ClickHouseSettings) -> str:
    for name, value in values(settings).items():
        template = template.replace(f"@{name}@", value)
    left = _PLACEHOLDER.findall(template)
    if left:
        raise ValueError(f"users template has placeholders this renderer does not fill: {left}")
    return template


def main(argv: list[str]) -> int:
    """Print the rendered template; first generate the local secrets if they are missing
    (what `cityops stack secrets` does), so a stack's first start has passwords to give."""
    if len(argv) != 1:
        print("usage: python -m cityops.db.localusers TEMPLATE.xml", file=sys.stderr)
        return 2
    written = write_local_secrets(local_secrets_file())
    if written:
        print(f"generated {', '.join(written)} in {local_secrets_file()}", file=sys.stderr)
    print(render(Path(argv[0]).read_text(encoding="utf-8"), Settings().clickhouse), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
