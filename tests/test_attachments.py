"""Request attachments: only real PDF, DOCX and ODT documents, stored under random names, served only to
the unit, coordinators in scope and the experts confirmed to the request."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from engagements.models import Assignment, Attachment, Request
from experts.models import EngagementRole, ExpertProfile
from registry.models import UnitMembership, User

pytestmark = pytest.mark.django_db

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


# Files built in the test ---------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    """A minimal but well-formed one-page PDF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Ohjelma</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # The OpenDocument rule: "mimetype" first and stored uncompressed.
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_TYPE.encode(), compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    return buffer.getvalue()


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"This program cannot"


def zip_without_document_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("notes.txt", "no word/document.xml here")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# Helpers -------------------------------------------------------------------------------------------


def upload_url(req: Request) -> str:
    return reverse("engagements:attachment-upload", args=[req.pk])


def download_url(attachment: Attachment) -> str:
    return reverse("engagements:attachment", args=[attachment.pk])


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def stored_bytes(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as stored:
        return stored.read()


def body_of(response: Any) -> bytes:
    # The test client closes a streamed response itself once it has been read.
    return b"".join(response.streaming_content)


@pytest.fixture
def req(make_request: Callable[..., Request]) -> Request:
    return make_request()


@pytest.fixture
def attachment(client: Client, unit_member: User, req: Request) -> Attachment:
    client.force_login(unit_member)
    response = client.post(upload_url(req), {"file": upload("Ohjelma.pdf", pdf_bytes(), PDF_TYPE)})
    assert response.status_code == 302
    client.logout()
    return Attachment.objects.get(request=req)


def confirm_expert(req: Request, expert: ExpertProfile, status: str = "confirmed") -> Assignment:
    return Assignment.objects.create(
        request=req,
        expert=expert,
        role=EngagementRole.objects.get(code="panellist"),
        status=status,
        offer_expires_at=timezone.now() + timedelta(days=1),
    )


# Upload: accepted documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "declared_type", "expected_type"),
    [
        ("Ohjelma.pdf", pdf_bytes, PDF_TYPE, PDF_TYPE),
        ("Taustamateriaali.docx", docx_bytes, DOCX_TYPE, DOCX_TYPE),
        ("Muistio.odt", odt_bytes, ODT_TYPE, ODT_TYPE),
        # The type comes from the content, never from what the browser says.
        ("Ohjelma.pdf", pdf_bytes, "image/png", PDF_TYPE),
    ],
)
def test_unit_member_uploads_a_document_and_its_type_comes_from_the_content(
    client: Client,
    unit_member: User,
    req: Request,
    name: str,
    build: Callable[[], bytes],
    declared_type: str,
    expected_type: str,
) -> None:
    content = build()
    client.force_login(unit_member)
    response = client.post(upload_url(req), {"file": upload(name, content, declared_type)})
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:unit-request", args=[req.pk])
    attachment = Attachment.objects.get(request=req)
    assert attachment.original_name == name
    assert attachment.content_type == expected_type
    assert attachment.uploaded_by == unit_member
    stored = stored_bytes(attachment)
    assert attachment.size == len(stored)
    if expected_type == PDF_TYPE:
        # Every PDF is rewritten (tests/test_upload_safety.py shows what is dropped); the page survives.
        assert stored.startswith(b"%PDF-")
        assert len(PdfReader(io.BytesIO(stored)).pages) == 1
    else:
        # DOCX and ODT are checked, then stored as they came.
        assert stored == content


def test_stored_file_name_is_random_not_the_original_name(client: Client, unit_member: User, req: Request) -> None:
    client.force_login(unit_member)
    client.post(upload_url(req), {"file": upload("Salainen suunnitelma.pdf", pdf_bytes(), PDF_TYPE)})
    client.post(upload_url(req), {"file": upload("Salainen suunnitelma.pdf", pdf_bytes(), PDF_TYPE)})
    first, second = Attachment.objects.filter(request=req)
    for attachment in (first, second):
        stored_name = Path(attachment.file.name).name
        assert "Salainen" not in attachment.file.name
        assert "suunnitelma" not in attachment.file.name
        assert not stored_name.endswith(".pdf")
        assert len(stored_name) >= 32
        assert Path(attachment.file.path).is_file()
        assert Path(attachment.file.path).is_relative_to(Path(django_settings.MEDIA_ROOT))
    assert first.file.name != second.file.name
    assert [p.name for p in stored_files()] and all("Salainen" not in str(p) for p in stored_files())


# Upload: refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "build", "declared_type"),
    [
        ("kuva.pdf", png_bytes, PDF_TYPE),
        ("setup.exe", exe_bytes, "application/x-msdownload"),
        ("ohjelma.pdf", exe_bytes, PDF_TYPE),
        ("report.pdf", lambda: b"Just some plain text pretending to be a report.\n", PDF_TYPE),
        ("muistio.docx", zip_without_document_bytes, DOCX_TYPE),
        ("tyhja.pdf", lambda: b"", PDF_TYPE),
    ],
    ids=["png-renamed-pdf", "exe", "exe-renamed-pdf", "text-renamed-pdf", "zip-renamed-docx", "empty"],
)
def test_file_that_is_not_a_document_is_refused_next_to_the_field(
    client: Client, unit_member: User, req: Request, name: str, build: Callable[[], bytes], declared_type: str
) -> None:
    client.force_login(unit_member)
    response = client.post(upload_url(req), {"file": upload(name, build(), declared_type)})
    assert response.status_code == 400
    assert response.context["attachment_form"].errors["file"]
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_file_larger_than_the_limit_is_refused(client: Client, unit_member: User, req: Request, settings: Any) -> None:
    content = pdf_bytes() + b"%" + b"x" * 2048 + b"\n"
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(unit_member)
    response = client.post(upload_url(req), {"file": upload("iso.pdf", content, PDF_TYPE)})
    assert response.status_code == 400
    errors = response.context["attachment_form"].errors.as_data()["file"]
    assert [e.code for e in errors] == ["too_large"]
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_file_exactly_at_the_limit_is_accepted(client: Client, unit_member: User, req: Request, settings: Any) -> None:
    content = pdf_bytes()
    settings.ATTACHMENT_MAX_BYTES = len(content)
    client.force_login(unit_member)
    response = client.post(upload_url(req), {"file": upload("raja.pdf", content, PDF_TYPE)})
    assert response.status_code == 302
    assert Attachment.objects.filter(request=req).exists()


def test_upload_without_a_file_is_refused(client: Client, unit_member: User, req: Request) -> None:
    client.force_login(unit_member)
    response = client.post(upload_url(req), {})
    assert response.status_code == 400
    assert response.context["attachment_form"].errors["file"]
    assert not Attachment.objects.exists()


def test_upload_to_a_confirmed_request_is_refused(
    client: Client, unit_member: User, make_request: Callable[..., Request]
) -> None:
    confirmed = make_request(status="confirmed")
    client.force_login(unit_member)
    response = client.post(upload_url(confirmed), {"file": upload("Ohjelma.pdf", pdf_bytes(), PDF_TYPE)}, follow=True)
    # Told why, on the request's page.
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_upload_to_another_units_request_is_404(client: Client, other_unit_member: User, req: Request) -> None:
    client.force_login(other_unit_member)
    response = client.post(upload_url(req), {"file": upload("Ohjelma.pdf", pdf_bytes(), PDF_TYPE)})
    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_anonymous_upload_goes_to_login(client: Client, req: Request) -> None:
    response = client.post(upload_url(req), {"file": upload("Ohjelma.pdf", pdf_bytes(), PDF_TYPE)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Attachment.objects.exists()


# Download ------------------------------------------------------------------------------------------


def test_unit_member_downloads_with_original_name_and_no_caching(
    client: Client, unit_member: User, attachment: Attachment
) -> None:
    client.force_login(unit_member)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == PDF_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert 'filename="Ohjelma.pdf"' in disposition
    assert "no-store" in response["Cache-Control"]
    assert body_of(response) == stored_bytes(attachment)


def test_coordinator_downloads(client: Client, coordinator: User, attachment: Attachment) -> None:
    client.force_login(coordinator)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert body_of(response) == stored_bytes(attachment)


def test_other_units_member_gets_404(client: Client, other_unit_member: User, attachment: Attachment) -> None:
    client.force_login(other_unit_member)
    assert client.get(download_url(attachment)).status_code == 404


def test_expert_without_a_confirmed_assignment_gets_404(
    client: Client, expert: ExpertProfile, attachment: Attachment
) -> None:
    client.force_login(expert.user)
    assert client.get(download_url(attachment)).status_code == 404


@pytest.mark.parametrize("status", ["offered", "accepted", "declined", "cancelled"])
def test_expert_whose_assignment_is_not_confirmed_gets_404(
    client: Client, expert: ExpertProfile, attachment: Attachment, status: str
) -> None:
    confirm_expert(attachment.request, expert, status=status)
    client.force_login(expert.user)
    assert client.get(download_url(attachment)).status_code == 404


def test_expert_with_a_confirmed_assignment_downloads(
    client: Client, expert: ExpertProfile, attachment: Attachment
) -> None:
    confirm_expert(attachment.request, expert)
    client.force_login(expert.user)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert 'filename="Ohjelma.pdf"' in response["Content-Disposition"]
    assert body_of(response) == stored_bytes(attachment)


def test_confirmed_expert_of_another_request_gets_404(
    client: Client,
    expert: ExpertProfile,
    attachment: Attachment,
    make_request: Callable[..., Request],
) -> None:
    confirm_expert(make_request(), expert)
    client.force_login(expert.user)
    assert client.get(download_url(attachment)).status_code == 404


def test_former_member_who_uploaded_to_their_own_request_gets_404(
    client: Client, unit_member: User, attachment: Attachment
) -> None:
    UnitMembership.objects.filter(user=unit_member).delete()
    client.force_login(unit_member)
    assert client.get(download_url(attachment)).status_code == 404


def test_anonymous_download_goes_to_login(client: Client, attachment: Attachment) -> None:
    response = client.get(download_url(attachment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_missing_attachment_is_404(client: Client, coordinator: User, db: None) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("engagements:attachment", args=[999_999])).status_code == 404
