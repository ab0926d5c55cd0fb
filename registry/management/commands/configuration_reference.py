"""Writes or checks docs/configuration.md, the table of every environment variable.

The table is generated from the settings' own reads (registry/env.py), so it cannot drift: run
`python manage.py configuration_reference --write` after adding a variable; the test suite runs
`--check`. Run it with no variables set, so the documented defaults are the built-in ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.env import reference_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "configuration.md"

HEADER = """# Configuration reference

Every setting comes from an environment variable. Every variable can instead be read from a file:
set `NAME_FILE` to the file's path (systemd credentials, Docker or Kubernetes secrets). Pass the
ones marked secret that way, so they never show in the process environment. An empty variable
counts as unset.

This table is generated from `registry/settings.py`; do not edit it by hand. After adding a
variable there, run `python manage.py configuration_reference --write` (the test suite fails
while this file and the settings disagree). How to set them on a server: `docs/operations.md`.

"""


def render() -> str:
    return HEADER + reference_markdown()


class Command(BaseCommand):
    help = "Prints, writes (--write) or checks (--check) docs/configuration.md."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", action="store_true", help="Rewrite docs/configuration.md.")
        group.add_argument("--check", action="store_true", help="Fail when docs/configuration.md is out of date.")

    def handle(self, *args: Any, write: bool, check: bool, **options: Any) -> None:
        text = render()
        if write:
            DOC.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC}")
        elif check:
            if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
                raise CommandError(
                    f"{DOC} does not match the settings; run `python manage.py configuration_reference --write`."
                )
            self.stdout.write("docs/configuration.md matches the settings.")
        else:
            self.stdout.write(text, ending="")
