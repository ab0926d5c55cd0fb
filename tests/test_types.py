"""The type check is strict enough to matter: mypy with the django-stubs plugin knows the models,
so a misspelt field name fails in a queryset lookup and in attribute access (issue 12, "Types")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WRONG_NAMES = """
from __future__ import annotations

from experts.models import ExpertProfile


def right(profile: ExpertProfile) -> str:
    ExpertProfile.objects.filter(display_name="Tuuli", home_region__name="Pirkanmaa")
    return profile.display_name


def wrong_lookup() -> None:
    ExpertProfile.objects.filter(display_nmae="Tuuli")


def wrong_attribute(profile: ExpertProfile) -> str:
    return profile.dispaly_name
"""


@pytest.mark.slow
def test_mypy_reports_a_wrong_model_field_name_in_a_lookup_and_an_attribute(tmp_path: Path) -> None:
    module = tmp_path / "wrong_names.py"
    module.write_text(WRONG_NAMES)
    # Run as CI does (the project's configuration and plugin, from the project root), in a child
    # process: the plugin sets Django up with the development settings, not the test run's.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(module),
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert any("wrong_names.py:13:" in line and "display_nmae" in line for line in errors), result.stdout
    assert any("wrong_names.py:17:" in line and "dispaly_name" in line for line in errors), result.stdout
    # The right names pass: the two mistakes are the only errors.
    assert len(errors) == 2, result.stdout


IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)$")
REASONED = re.compile(r"^\[[a-z-]+(,\s*[a-z-]+)*\]\s+#\s*\S")


def test_every_type_ignore_names_its_error_code_and_gives_a_reason_on_the_line() -> None:
    unexplained = []
    for app in ("registry", "experts", "engagements"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                match = IGNORE.search(line)
                if match and not REASONED.match(match["rest"].strip()):
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
