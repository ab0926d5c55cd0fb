"""deploy/backup.sh and deploy/restore.sh: a dump restored into an empty database has the data, and
the uploads come back; a database that is not empty is refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from registry.models import AuditEvent, Region
from tests.conftest import make_user
from tests.test_workers import database_url

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / script), *args],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the scripts back up PostgreSQL")
def test_backup_restores_into_an_empty_database_with_the_uploads(settings: Any, tmp_path: Path) -> None:
    user = make_user("restored.person@example.test")
    Region.objects.create(code="etela-savo", name="Etelä-Savon hyvinvointialue", name_sv="Södra Savolax")
    AuditEvent.objects.create(actor=user, action="backup.test", object_type="registry.user", object_id=str(user.pk))
    photo = default_storage.save("photos/restored.jpg", ContentFile(b"\xff\xd8 not really a photo"))
    source_url = database_url()
    scratch = f"{connection.settings_dict['NAME']}_restore"
    scratch_url = source_url.rsplit("/", 1)[0] + f"/{scratch}"

    backup = run("backup.sh", str(tmp_path / "backups"), DATABASE_URL=source_url, MEDIA_ROOT=str(settings.MEDIA_ROOT))
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip())
    assert {p.name for p in folder.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}

    with psycopg.connect(source_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        restored_media = tmp_path / "restored-media"
        restore = run("restore.sh", str(folder), DATABASE_URL=scratch_url, MEDIA_ROOT=str(restored_media))
        assert restore.returncode == 0, restore.stderr
        with psycopg.connect(scratch_url) as restored:
            emails = [row[0] for row in restored.execute("SELECT email FROM registry_user")]
            regions = [row[0] for row in restored.execute("SELECT code FROM registry_region")]
            events = restored.execute("SELECT count(*) FROM registry_auditevent WHERE action = 'backup.test'")
            migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()
            assert emails == ["restored.person@example.test"]
            assert "etela-savo" in regions
            assert events.fetchone() == (1,)
            assert migrations is not None and migrations[0] > 10
        assert (restored_media / photo).read_bytes() == b"\xff\xd8 not really a photo"

        # Restoring again over the restored data is refused, and changes nothing.
        again = run("restore.sh", str(folder), DATABASE_URL=scratch_url, MEDIA_ROOT=str(restored_media))
        assert again.returncode == 3
        assert "not empty" in again.stderr
    finally:
        with psycopg.connect(source_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.mark.slow
def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    folder = tmp_path / "20260101T000000Z"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"dump")
    subprocess.run(["sha256sum", "database.dump"], cwd=folder, stdout=(folder / "SHA256SUMS").open("w"), check=True)
    (folder / "database.dump").write_bytes(b"dump, changed")
    result = run("restore.sh", str(folder), DATABASE_URL="postgres://nobody@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
