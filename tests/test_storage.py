"""Uploads go only through Django's storage API, so web and worker nodes can share a volume or object
storage: with a storage that is not the local disk, uploads, downloads and deletion still work and
nothing is written under MEDIA_ROOT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from engagements.models import Attachment
from experts.models import ExpertProfile
from registry.models import User
from tests.test_attachments import PDF_TYPE, pdf_bytes, upload, upload_url
from tests.test_configuration import manage
from tests.test_photos import jpeg_bytes, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _object_storage(settings: Any) -> None:
    # Django's in-memory storage stands in for object storage: it has no local path at all.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


def files_under_media_root(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_storage_backend_comes_from_the_environment() -> None:
    result = manage(
        "shell",
        "-v0",
        "-c",
        "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))",
        extra_env={
            "FILE_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
            "FILE_STORAGE_OPTIONS": '{"bucket_name": "kokemus-uploads"}',
        },
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "kokemus-uploads"},
    }


def test_photo_is_stored_served_and_deleted_through_the_storage(
    client: Client, expert: ExpertProfile, settings: Any
) -> None:
    client.force_login(expert.user)
    assert client.post(reverse("experts:photo-upload"), {"photo": upload_file(jpeg_bytes())}).status_code == 302
    expert.refresh_from_db()
    name = expert.photo.name
    assert default_storage.exists(name)
    response = client.get(reverse("engagements:expert-photo", args=[expert.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    client.post(reverse("experts:photo-delete"))
    assert not default_storage.exists(name)
    assert files_under_media_root(settings) == []


def test_attachment_is_stored_and_downloaded_through_the_storage(
    client: Client, unit_member: User, make_request: Any, settings: Any
) -> None:
    req = make_request()
    client.force_login(unit_member)
    client.post(upload_url(req), {"file": upload("Ohjelma.pdf", pdf_bytes(), PDF_TYPE)})
    attachment = Attachment.objects.get(request=req)
    assert default_storage.exists(attachment.file.name)
    with default_storage.open(attachment.file.name) as stored:
        stored_bytes = stored.read()
    response = client.get(reverse("engagements:attachment", args=[attachment.pk]))
    # Every stored PDF is a rewritten copy (registry/pdfclean.py), served from the storage.
    assert stored_bytes.startswith(b"%PDF")
    assert b"".join(response.streaming_content) == stored_bytes
    assert attachment.size > 0
    assert files_under_media_root(settings) == []
