"""Configuration: every variable documented in docs/configuration.md (generated, so it cannot
drift), and every variable can be read from a file named by NAME_FILE."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from registry import env

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # No inherited variables: the documented defaults are the built-in ones.
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_configuration_reference_matches_the_settings() -> None:
    result = manage("configuration_reference", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_variable_says_what_it_does() -> None:
    undocumented = [name for name, variable in env.VARIABLES.items() if not variable.help]
    assert undocumented == []
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_HOST_PASSWORD", "SENTRY_DSN"} <= {
        name for name, variable in env.VARIABLES.items() if variable.secret
    }


def test_settings_read_the_environment_only_through_registry_env() -> None:
    source = (ROOT / "registry" / "settings.py").read_text(encoding="utf-8")
    assert "os.environ" not in source
    assert "getenv" not in source


def test_secrets_are_read_from_files(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("a-secret-key-from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz\n")
    (tmp_path / "token").write_text("postmark-token")
    (tmp_path / "database").write_text(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = manage(
        "shell",
        "-v0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECRET_KEY); print(s.ANYMAIL['POSTMARK_SERVER_TOKEN']); print(s.DATABASES['default']['NAME'])",
        extra_env={
            "DEBUG": "0",
            "ALLOWED_HOSTS": "kokemus.example.fi",
            "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "ANYMAIL_POSTMARK_SERVER_TOKEN_FILE": str(tmp_path / "token"),
            "DATABASE_URL_FILE": str(tmp_path / "database"),
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "a-secret-key-from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz",
        "postmark-token",
        str(tmp_path / "db.sqlite3"),
    ]


def test_variable_and_file_together_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "key").write_text("x")
    monkeypatch.setenv("SOME_SECRET", "y")
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "key"))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.raw("SOME_SECRET")


def test_unreadable_secret_file_says_which_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE"):
        env.raw("SOME_SECRET")


def test_bad_number_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a whole number"):
        env.env_int("SOME_NUMBER", 10, help="A number.")
    env.VARIABLES.pop("SOME_NUMBER", None)
