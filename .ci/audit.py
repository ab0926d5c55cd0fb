#!/usr/bin/env python3
"""Known vulnerabilities in the locked dependencies, with pip-audit.

Usage: .venv/bin/python .ci/audit.py requirements/production.txt requirements/development.txt

Exits 1 when any locked package has a known vulnerability. When the vulnerability service cannot be
reached (no network, a registry mirror without PyPI's per-release JSON API), pip-audit skips the
packages and, left alone, would still say "No known vulnerabilities found": this script says plainly
that nothing was audited instead, and fails only if PIP_AUDIT_REQUIRED=1 (set it where the service
is reachable). PIP_AUDIT_SERVICE (pypi or osv) and PIP_AUDIT_OSV_URL choose the service.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def audit(lock: str) -> tuple[list[str], list[str], str]:
    """(vulnerabilities, packages not audited, error) for one lock file."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            str(PIP_AUDIT),
            "--requirement",
            lock,
            "--require-hashes",
            "--disable-pip",  # the lock pins every package with hashes: nothing to resolve or install
            "--progress-spinner=off",
            "--format=json",
            f"--output={report}",
            f"--vulnerability-service={os.environ.get('PIP_AUDIT_SERVICE', 'pypi')}",
            "--timeout=20",
        ]
        if os.environ.get("PIP_AUDIT_OSV_URL"):
            command.append(f"--osv-url={os.environ['PIP_AUDIT_OSV_URL']}")
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
        if not report.exists() or not report.read_text():
            last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
            return [], [], last_line
        data = json.loads(report.read_text())
    found, skipped = [], []
    for dependency in data.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped.append(dependency["name"])
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version yet"
            found.append(f"{dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixed})")
    return found, skipped, ""


def main(locks: list[str]) -> int:
    required = os.environ.get("PIP_AUDIT_REQUIRED") == "1"
    vulnerable = unaudited = False
    for lock in locks:
        found, skipped, error = audit(lock)
        if found:
            vulnerable = True
            print(f"{lock}: {len(found)} known vulnerabilities")
            for line in found:
                print(f"  {line}")
        if error:
            unaudited = True
            print(f"{lock}: NOT AUDITED: pip-audit failed ({error})")
        elif skipped:
            unaudited = True
            print(
                f"{lock}: NOT AUDITED: {len(skipped)} packages could not be checked; the vulnerability "
                f"service did not answer for them (first: {', '.join(skipped[:3])})"
            )
        elif not found:
            print(f"{lock}: no known vulnerabilities")
    if vulnerable:
        return 1
    if unaudited:
        print("pip-audit could not reach its vulnerability service; the locks were NOT checked.")
        return 2 if required else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
