"""The files in deploy/ are valid for the tools that read them: systemd's unit checker, nginx's
configuration test, and the environment template names only documented variables."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from registry import env

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_environment_template_names_only_documented_variables() -> None:
    text = (DEPLOY / "kokemus.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert {"DEBUG", "SITE_URL", "ALLOWED_HOSTS", "BEHIND_PROXY", "MEDIA_ROOT", "EMAIL_BACKEND"} <= names
    known = set(env.VARIABLES) | {f"{name}_FILE" for name in env.VARIABLES}
    unknown = {name for name in names - known if not name.startswith("ANYMAIL_")}
    assert unknown == set()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_units_verify(tmp_path: Path) -> None:
    # The units as installed, with this checkout standing in for /srv/kokemus/app.
    venv = Path(sys.executable).parent.parent
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/srv/kokemus/app/.venv", str(venv)).replace("/srv/kokemus/app", str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    (tmp_path / "kokemus-worker@1.service").write_text((tmp_path / "kokemus-worker@.service").read_text())
    units = [
        "kokemus-web.service",
        "kokemus-worker@1.service",
        "kokemus-scheduler.service",
        "kokemus-backup.service",
        "kokemus-backup.timer",
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / name) for name in units)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx (apt-get install nginx)")
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kokemus.example.fi"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "kokemus.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/kokemus.example.fi/", f"{tmp_path}/")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "kokemus.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/kokemus.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_environment_template_with_its_secret_files_passes_the_deploy_check(tmp_path: Path) -> None:
    """The template as an operator fills it in, read by deploy/manage.sh as the services read it."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "secret_key").write_text("an-operator-made-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz\n")
    (credentials / "database_url").write_text(f"sqlite:///{tmp_path / 'db.sqlite3'}\n")
    (credentials / "postmark_token").write_text("token\n")
    template = (DEPLOY / "kokemus.env.example").read_text(encoding="utf-8")
    filled = template.replace("/etc/kokemus/credentials/", f"{credentials}/").replace(
        "/srv/kokemus/media", str(tmp_path / "media")
    )
    (tmp_path / "kokemus.env").write_text(filled, encoding="utf-8")
    result = subprocess.run(
        ["bash", str(DEPLOY / "manage.sh"), "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": "/usr/bin:/bin", "KOKEMUS_ENV": str(tmp_path / "kokemus.env")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
