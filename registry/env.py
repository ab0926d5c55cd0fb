"""Settings read from environment variables, each documented where it is read.

Every read is recorded (name, documented default, description, secret or not), so that
`docs/configuration.md` is generated from the settings themselves (`manage.py configuration_reference`)
and a test fails when the two disagree.

Every variable can also be read from a file named by `<NAME>_FILE` (systemd credentials, Docker or
Kubernetes secrets), which is how secrets should be passed: they then never appear in the process
environment, in `ps e` or in a crash report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

FILE_SUFFIX = "_FILE"


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    help: str
    secret: bool


# In the order the settings read them; the configuration reference keeps that order.
VARIABLES: dict[str, Variable] = {}


def _record(name: str, default: Any, help: str, secret: bool, doc_default: str | None) -> None:
    if doc_default is None:
        if isinstance(default, bool):
            doc_default = "1" if default else "0"
        elif isinstance(default, list | tuple):
            doc_default = ",".join(str(item) for item in default)
        else:
            doc_default = "" if default is None else str(default)
    VARIABLES[name] = Variable(name=name, default=doc_default, help=" ".join(help.split()), secret=secret)


def document(name: str, *, help: str, default: str = "", secret: bool = False) -> None:
    """A variable read by a library rather than by the settings (e.g. anymail's ANYMAIL_…)."""
    _record(name, default, help, secret, default)


def raw(name: str) -> str | None:
    """The variable's value, from NAME or else from the file NAME_FILE names; None when unset.

    An empty variable counts as unset, so `DATABASE_URL= make test` falls back to the default.
    """
    value = os.environ.get(name)
    path = os.environ.get(name + FILE_SUFFIX)
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}{FILE_SUFFIX}, not both.")
    if value:
        return value
    if path:
        try:
            # A trailing newline is what editors and `echo` add; it is never part of a secret.
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}{FILE_SUFFIX}: cannot read {path} ({exc.strerror}).") from None
    return None


def env_str(
    name: str, default: str = "", *, help: str = "", secret: bool = False, doc_default: str | None = None
) -> str:
    _record(name, default, help, secret, doc_default)
    return raw(name) or default


def env_bool(name: str, default: bool, *, help: str = "", doc_default: str | None = None) -> bool:
    _record(name, default, help, False, doc_default)
    value = raw(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, help: str = "", doc_default: str | None = None) -> int:
    _record(name, default, help, False, doc_default)
    value = raw(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "", *, help: str = "", doc_default: str | None = None) -> list[str]:
    _record(name, default, help, False, doc_default)
    return [item.strip() for item in (raw(name) or default).split(",") if item.strip()]


def env_json(name: str, default: Any, *, help: str = "", secret: bool = False, doc_default: str | None = None) -> Any:
    _record(name, json.dumps(default) if doc_default is None else doc_default, help, secret, None)
    value = raw(name)
    if value is None:
        return default
    try:
        return json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be JSON.") from None


def prefixed(prefix: str) -> dict[str, str]:
    """Every PREFIX… variable (and PREFIX…_FILE) as {rest of the name: value}, for settings that a
    library reads by prefix, such as anymail's ANYMAIL_POSTMARK_SERVER_TOKEN."""
    names = {key.removesuffix(FILE_SUFFIX) for key in os.environ if key.startswith(prefix)}
    found = {name.removeprefix(prefix): raw(name) for name in sorted(names)}
    return {key: value for key, value in found.items() if value}


def reference_markdown() -> str:
    """The table in docs/configuration.md."""
    lines = [
        "| variable | default | secret | what it does |",
        "|---|---|---|---|",
    ]
    for variable in VARIABLES.values():
        default = f"`{variable.default}`" if variable.default else "(empty)"
        secret = "yes" if variable.secret else ""
        description = variable.help.replace("|", "\\|")
        lines.append(f"| `{variable.name}` | {default} | {secret} | {description} |")
    return "\n".join(lines) + "\n"
