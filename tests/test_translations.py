"""Every catalogue complete, compiled and up to date; third-party pages in the chosen language."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["fi", "sv"]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language: str) -> None:
    po = catalogue(language)
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{language}: untranslated {untranslated}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_po(language: str) -> None:
    # The .mo files are committed so a fresh clone needs no GNU gettext; they must not drift.
    po = catalogue(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))

    def table(entries: list[polib._BaseEntry]) -> dict[tuple[str | None, str], object]:
        return {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in entries
            if not e.obsolete and e.msgid
        }

    assert table(po.translated_entries()) == table(list(mo))


def test_makemessages_would_add_nothing(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") or os.environ.get("REQUIRE_GETTEXT"):
            pytest.fail("GNU gettext (xgettext) is required here to check the catalogues are up to date")
        pytest.skip("GNU gettext is not installed; .ci/run installs it")
    work = tmp_path / "project"
    for name in ["registry", "experts", "engagements", "api", "templates", "locale"]:
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings", "DEBUG": "1"}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fi",
            "-l",
            "sv",
            "--no-obsolete",
            "--add-location",
            "file",
        ],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        before = {(e.msgctxt, e.msgid) for e in catalogue(language) if not e.obsolete}
        after_po = polib.pofile(str(work / "locale" / language / "LC_MESSAGES" / "django.po"))
        after = {(e.msgctxt, e.msgid) for e in after_po if not e.obsolete}
        assert not after - before, f"{language}: run `make messages` and translate {sorted(after - before)}"
        assert not before - after, f"{language}: stale entries {sorted(before - after)}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "own", "allauth"),
    [("fi", "Saavutettavuusseloste", "Kirjaudu sisään"), ("sv", "Tillgänglighetsutlåtande", "Logga in")],
)
def test_pages_and_allauth_appear_in_chosen_language(client: Client, language: str, own: str, allauth: str) -> None:
    client.cookies["django_language"] = language
    page = client.get(reverse("account_login")).content.decode()
    assert f'<html lang="{language}">' in page
    assert own in page
    assert allauth in page


@pytest.mark.django_db
def test_finnish_is_the_default(client: Client) -> None:
    page = client.get(reverse("front")).content.decode()
    assert '<html lang="fi">' in page
    assert "Kokemusasiantuntijat" in page
