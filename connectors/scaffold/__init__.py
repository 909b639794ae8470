"""`cityops connectors new NAME`: a new connector package that passes the contract suite as is.

The template is tested the same way as the connectors (tests/integration/connectors/
test_scaffold.py renders it into a temp dir and runs the suite), so it cannot rot.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).parent / "template"
FAMILIES = ("dossier", "payment", "portal")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def render(name: str, target: Path, *, family: str = "portal", force: bool = False) -> list[Path]:
    """Write `<target>/<name>/{__init__,connector}.py`; returns the files written."""
    from connectors.sdk.registry import NOT_CONNECTORS

    if not NAME_PATTERN.match(name) or name in NOT_CONNECTORS:
        raise ValueError(f"{name!r}: use lower_snake_case (2-40 chars), not a reserved package")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}")
    package = target / name
    if package.exists() and not force:
        raise FileExistsError(f"{package} exists (use --force to overwrite)")
    package.mkdir(parents=True, exist_ok=True)
    values = {
        "name": name,
        "title": name.replace("_", " ").capitalize(),
        "class_name": "".join(part.capitalize() for part in name.split("_")) + "Connector",
        "family": family,
        "topic": family.upper(),
    }
    written = []
    for template in sorted(TEMPLATE_DIR.glob("*.py.tmpl")):
        path = package / template.name.removesuffix(".tmpl")
        path.write_text(Template(template.read_text(encoding="utf-8")).substitute(values))
        written.append(path)
    return written
