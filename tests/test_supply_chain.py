"""Dependencies: production and development locked separately with hashes, and the CI gate fails on
a known vulnerability (pip-audit, here against a fake vulnerability service on loopback)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ROOT / "requirements" / "production.txt"
DEVELOPMENT = ROOT / "requirements" / "development.txt"
TEST_TOOLS = {
    "pytest",
    "pytest-django",
    "playwright",
    "axe-playwright-python",
    "polib",
    "ruff",
    "pip-audit",
    "mypy",
    "django-stubs",
    "schemathesis",
}


def pins(lock: Path) -> dict[str, str]:
    return {
        name.lower(): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^ \\\n]+)", lock.read_text(), flags=re.MULTILINE)
    }


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("lock", [PRODUCTION, DEVELOPMENT], ids=["production", "development"])
def test_every_locked_package_is_pinned_with_a_hash(lock: Path) -> None:
    requirements = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    entries = [entry for entry in requirements if re.match(r"[A-Za-z0-9]", entry)]
    assert len(entries) == len(pins(lock)) > 10
    assert all("==" in entry and "--hash=sha256:" in entry for entry in entries)


def test_production_lock_has_no_test_tools_and_every_declared_dependency() -> None:
    production = pins(PRODUCTION)
    assert not TEST_TOOLS & set(production)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in declared:
        assert canonical(re.split(r"[<>=\[ ]", requirement)[0]) in production, requirement


def test_development_lock_adds_the_tools_at_the_production_versions() -> None:
    production, development = pins(PRODUCTION), pins(DEVELOPMENT)
    assert set(development) >= TEST_TOOLS
    shared = set(production) & set(development)
    assert {name: development[name] for name in shared} == {name: production[name] for name in shared}


class FakeOsv(BaseHTTPRequestHandler):
    """OSV's query API: a vulnerability for pillow, none for anything else."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer: dict[str, Any] = {}
        if query["package"]["name"] == "pillow":
            answer = {
                "vulns": [
                    {
                        "id": "GHSA-test-0000-0000",
                        "summary": "A made-up flaw for this test",
                        "affected": [
                            {
                                "package": {"name": "pillow", "ecosystem": "PyPI"},
                                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
                            }
                        ],
                    }
                ]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


def small_lock(tmp_path: Path, *names: str) -> Path:
    """Some entries of the production lock, hashes and all."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", PRODUCTION.read_text())
    chosen = [entry for entry in entries if entry.split("==")[0].lower() in names]
    lock = tmp_path / "lock.txt"
    lock.write_text("\n".join(chosen) + "\n")
    return lock


def audit(lock: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "audit.py"), str(lock)],
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_audit_fails_on_a_known_vulnerability(tmp_path: Path, osv_url: str) -> None:
    result = audit(small_lock(tmp_path, "pillow", "sqlparse"), PIP_AUDIT_SERVICE="osv", PIP_AUDIT_OSV_URL=osv_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "GHSA-test-0000-0000" in result.stdout
    assert "pillow" in result.stdout and "fixed in 99.0" in result.stdout


@pytest.mark.slow
def test_audit_passes_when_nothing_is_known(tmp_path: Path, osv_url: str) -> None:
    result = audit(small_lock(tmp_path, "sqlparse", "asgiref"), PIP_AUDIT_SERVICE="osv", PIP_AUDIT_OSV_URL=osv_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known vulnerabilities" in result.stdout


@pytest.mark.slow
def test_audit_says_so_when_the_service_cannot_be_reached(tmp_path: Path) -> None:
    unreachable = {"PIP_AUDIT_SERVICE": "osv", "PIP_AUDIT_OSV_URL": "http://127.0.0.1:9/v1/query"}
    result = audit(small_lock(tmp_path, "sqlparse"), **unreachable)
    assert result.returncode == 0
    assert "NOT AUDITED" in result.stdout
    required = audit(small_lock(tmp_path, "sqlparse"), **unreachable, PIP_AUDIT_REQUIRED="1")
    assert required.returncode == 2
