"""Production settings are safe: `check --deploy` passes with the documented variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-used-only-in-this-test-0123456789",
    "ALLOWED_HOSTS": "kokemus.example.fi",
    "SITE_URL": "https://kokemus.example.fi",
    "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
}


def run_manage(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process; production never does.
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(extra_env or {})
    env["DJANGO_SETTINGS_MODULE"] = "registry.settings"
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_check_deploy_passes_with_production_variables() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key() -> None:
    env = {**PRODUCTION_ENV}
    env.pop("SECRET_KEY")
    result = run_manage("check", extra_env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
