"""No usable default secrets outside the local stack.

The one secret cityops ships a default for (`hash_key`) fits only unit tests: anyone who reads
this repository knows it, and a known `hash_key` turns every `applicant_ref` back into an id by
hashing the candidates. The ClickHouse passwords have no default at all. So in production mode
(`CITYOPS_ENV=production`, set in the image) a process refuses to start, with one line naming
the setting, while any secret keeps its default or is short enough to guess; a client asked
to use a password nobody set stops with the same kind of line (`MissingSecret`), so each
process needs only the passwords of the accounts it uses. The local stack generates its own
(`write_local_secrets`): random, under `.stack/`, read by every local process and rendered
into the local ClickHouse's accounts; `write_compose_secrets` makes compose's secret files.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

#: Shorter secrets are refused in production; generated ones are 64 hex characters.
MIN_SECRET_LENGTH = 16
#: What the local stack generates, by environment variable (read like any `CITYOPS_*`): the
#: hash key and the passwords of the three ClickHouse accounts (docs/operations.md, "Secrets").
LOCAL_SECRETS = (
    "CITYOPS_HASH_KEY",
    "CITYOPS_CLICKHOUSE__PASSWORD",
    "CITYOPS_CLICKHOUSE__READER_PASSWORD",
    "CITYOPS_CLICKHOUSE__MIGRATOR_PASSWORD",
)


class InsecureSettings(ValueError):
    """A secret that must not be used where it is: the message is the one line to print."""


class MissingSecret(InsecureSettings):
    """A secret a client needs was never set (outside the local stack, or before
    `cityops stack secrets`)."""


def _weak(value: SecretStr, default: Any) -> str | None:
    if isinstance(default, SecretStr) and value.get_secret_value() == default.get_secret_value():
        return "the shipped default, public in the repository"
    if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    return None


def weak_secrets(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(setting path, why) for each secret of `model`, at any depth, that is too weak."""
    for name, field in type(model).model_fields.items():
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from weak_secrets(value, f"{path}.")
        elif isinstance(value, SecretStr):
            why = _weak(value, field.default)
            if why:
                yield path, why
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, SecretStr):
                    why = _weak(item, None)
                    if why:
                        yield f"{path}.{key}", why


def env_name(path: str) -> str:
    """The environment variable that sets a settings path (`clickhouse.password` ->
    `CITYOPS_CLICKHOUSE__PASSWORD`)."""
    return "CITYOPS_" + path.upper().replace(".", "__")


def refuse_weak_secrets(model: BaseModel, *, prefix: str = "") -> None:
    """Raise InsecureSettings naming every weak secret of `model`, on one line."""
    weak = list(weak_secrets(model))
    if not weak:
        return
    problems = ", ".join(f"{prefix}{path} ({why})" for path, why in weak)
    if prefix:  # a connector's config: set in its config file
        fix = "set them in the connector's config"
    else:
        fix = "set " + ", ".join(env_name(path) for path, _ in weak) + " (or the config file)"
    raise InsecureSettings(f"refusing to start in production, weak secrets: {problems}; {fix}")


#: `CITYOPS_HASH_KEY_FILE=/run/secrets/hash_key` sets `CITYOPS_HASH_KEY` from that file.
FILE_SUFFIX = "_FILE"


def secrets_from_files(environ: dict[str, str] | os._Environ[str]) -> None:
    """Set each `CITYOPS_X` named by a `CITYOPS_X_FILE` from the file's content (Docker and
    Kubernetes secrets are files); a variable set directly wins. A file that cannot be read
    raises InsecureSettings naming the variable."""
    for name, path in list(environ.items()):
        target = name.removesuffix(FILE_SUFFIX)
        if not name.startswith("CITYOPS_") or target == name or target in environ:
            continue
        try:
            environ[target] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InsecureSettings(f"{name}: cannot read {path} ({exc.strerror})") from None


def missing_secret(path: str) -> MissingSecret:
    """The one line for a secret a client needs and nobody set."""
    return MissingSecret(
        f"{path} is not set: set {env_name(path)} (or {env_name(path)}_FILE, or the config "
        "file); the local stack generates it with `cityops stack secrets`"
    )


def read_local_secrets(path: Path) -> dict[str, str]:
    """The `NAME=value` lines `write_local_secrets` wrote (no quoting: values are hex)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def write_local_secrets(path: Path) -> list[str]:
    """Create the local stack's secrets file (random values, owner-only), or add to it the
    secrets it lacks (a stack from before they were generated); returns the names written.
    Existing values are kept: a new `hash_key` would give everyone new refs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        missing = [name for name in LOCAL_SECRETS if name not in read_local_secrets(path)]
        if missing:
            with path.open("a", encoding="utf-8") as handle:
                handle.writelines(f"{name}={secrets.token_hex(32)}\n" for name in missing)
        return missing
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# Generated by cityops for the local stack only; never used in production.\n")
        handle.writelines(f"{name}={secrets.token_hex(32)}\n" for name in LOCAL_SECRETS)
    return list(LOCAL_SECRETS)


def write_compose_secrets(compose_file: Path) -> list[str]:
    """Create each secret file a compose file declares (`secrets: NAME: file: PATH`) that does
    not exist yet, with 64 random hex characters; returns the names written. Existing files are
    kept. The folder is owner-only; the files are readable by all (each container reads its
    files as its own user: cityops, clickhouse, grafana and kafka differ), through the mount
    only."""
    import yaml

    declared = yaml.safe_load(compose_file.read_text(encoding="utf-8")).get("secrets") or {}
    written = []
    for name, spec in declared.items():
        path = compose_file.parent / spec["file"]
        if path.exists():
            continue
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        written.append(name)
    return written
