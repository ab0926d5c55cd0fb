"""Expert photos: only real JPEG/PNG/WebP images, re-encoded without metadata, served only to those in scope."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation import gettext
from PIL import Image, PngImagePlugin, features

from experts.models import ExpertProfile
from registry.models import AuditEvent, Region, StaffRole, User
from tests.conftest import make_user, with_totp

pytestmark = pytest.mark.django_db

INVALID_IMAGE = "This file is not a JPEG, PNG or WebP image. Please choose another photo."
TOO_LARGE = "The photo is too large. The largest allowed size is %(mb)s MB."
TOO_MANY_PIXELS = "The image has too many pixels. Make it smaller and try again."

EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_ORIENTATION = 0x0112
EXIF_GPS_IFD = 0x8825


# Image factories -------------------------------------------------------------------------------


def image_bytes(image: Image.Image, image_format: str, **save_options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 20), **save_options: Any) -> bytes:
    return image_bytes(Image.new("RGB", size, (200, 40, 40)), "JPEG", **save_options)


def noisy_jpeg_bytes(size: tuple[int, int] = (200, 200)) -> bytes:
    """Random pixels compress badly, so the file is reliably larger than a few kilobytes."""
    import random

    rng = random.Random(4)
    image = Image.new("RGB", size)
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    return image_bytes(image, "JPEG", quality=95)


def camera_exif() -> Image.Exif:
    """What a phone writes: camera make and model, rotation, and where the picture was taken."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "SecretCam"
    exif[EXIF_MODEL] = "Pocket 3000"
    exif[EXIF_ORIENTATION] = 6  # rotate 90° clockwise to display
    gps = exif.get_ifd(EXIF_GPS_IFD)
    gps[1] = "N"
    gps[2] = (62.0, 53.0, 31.0)
    gps[3] = "E"
    gps[4] = (27.0, 40.0, 43.0)
    return exif


def png_with_text_comment() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "secret comment")
    return image_bytes(Image.new("RGB", (30, 30), "blue"), "PNG", pnginfo=info)


def upload_file(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# Helpers -------------------------------------------------------------------------------------


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def stored_path(expert: ExpertProfile) -> Path:
    expert.refresh_from_db()
    assert expert.photo, "no photo was stored"
    return Path(settings.MEDIA_ROOT) / expert.photo.name


def post_photo(client: Client, expert: ExpertProfile, upload: SimpleUploadedFile) -> HttpResponse:
    client.force_login(expert.user)
    return client.post(reverse("experts:photo-upload"), {"photo": upload})


def body(response: Any) -> bytes:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content


def assert_refused(response: HttpResponse, expert: ExpertProfile, code: str, message: str) -> None:
    """HTTP 400, the error in the user's language next to the photo field, and nothing stored."""
    assert response.status_code == 400
    form = response.context["photo_form"]
    assert "photo" in form.errors
    assert [error.code for error in form.errors.as_data()["photo"]] == [code]
    with translation.override(expert.user.preferred_language):
        expected = gettext(message)
        if "%(mb)s" in expected:
            mb = formats.number_format(settings.PHOTO_MAX_BYTES / (1024 * 1024), decimal_pos=1)
            expected = expected % {"mb": mb}
    assert form.errors["photo"] == [expected]
    assert escape(expected) in response.content.decode()
    expert.refresh_from_db()
    assert not expert.photo
    assert media_files() == []
    assert not AuditEvent.objects.filter(detail="photo uploaded").exists()


# Upload: accepted ------------------------------------------------------------------------------


def test_valid_jpeg_is_stored_reencoded_as_jpeg(client: Client, expert: ExpertProfile) -> None:
    response = post_photo(client, expert, upload_file(jpeg_bytes()))

    assert response.status_code == 302
    assert response["Location"] == reverse("experts:profile")
    path = stored_path(expert)
    assert path.is_file()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT) / "photos")
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (40, 20)
    assert media_files() == [path]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, detail="photo uploaded").count() == 1


def test_exif_gps_and_camera_details_are_removed_and_orientation_applied(client: Client, expert: ExpertProfile) -> None:
    source = jpeg_bytes((40, 20), exif=camera_exif(), comment=b"secret comment")
    # The test file really carries what we expect to be removed.
    with Image.open(io.BytesIO(source)) as original:
        assert original.getexif()[EXIF_MAKE] == "SecretCam"
        assert original.getexif().get_ifd(EXIF_GPS_IFD)[1] == "N"
        assert original.getexif()[EXIF_ORIENTATION] == 6
    assert b"Exif" in source and b"SecretCam" in source and b"secret comment" in source

    response = post_photo(client, expert, upload_file(source))

    assert response.status_code == 302
    raw = stored_path(expert).read_bytes()
    with Image.open(io.BytesIO(raw)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
        # Orientation 6 was applied to the pixels, so no viewer needs the tag any more.
        assert stored.size == (20, 40)
    assert b"Exif" not in raw
    assert b"SecretCam" not in raw
    assert b"Pocket 3000" not in raw


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("jpeg-com-segment.jpg", jpeg_bytes((40, 20), exif=camera_exif(), comment=b"secret comment")),
        ("plain-jpeg-com-segment.jpg", jpeg_bytes((40, 20), comment=b"secret comment")),
        ("png-text-chunk.png", png_with_text_comment()),
    ],
)
def test_comments_are_removed(client: Client, expert: ExpertProfile, name: str, data: bytes) -> None:
    assert b"secret comment" in data

    response = post_photo(client, expert, upload_file(data, name=name))

    assert response.status_code == 302
    raw = stored_path(expert).read_bytes()
    with Image.open(io.BytesIO(raw)) as stored:
        assert "comment" not in stored.info
    assert b"secret comment" not in raw


def test_tiny_png_with_a_huge_compressed_comment_does_not_crash(client: Client, expert: ExpertProfile) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * 70_000, zip=True)
    data = image_bytes(Image.new("RGB", (30, 30), "blue"), "PNG", pnginfo=info)
    assert len(data) < 1000

    response = post_photo(client, expert, upload_file(data, "tiny.png", "image/png"))

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert b"xxxx" not in stored_path(expert).read_bytes()


def test_png_with_transparency_is_accepted_and_stored_as_jpeg(client: Client, expert: ExpertProfile) -> None:
    image = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 15, 30))
    response = post_photo(client, expert, upload_file(image_bytes(image, "PNG"), "me.png", "image/png"))

    assert response.status_code == 302
    with Image.open(stored_path(expert)) as stored:
        assert stored.format == "JPEG"
        assert stored.mode == "RGB"
        # The transparent half is flattened onto white, not black.
        assert min(stored.getpixel((25, 15))) > 240
        red, green, blue = stored.getpixel((5, 15))
        assert blue > 200 and red < 40 and green < 40


@pytest.mark.skipif(not features.check("webp"), reason="Pillow was built without WebP")
def test_webp_is_accepted_and_stored_as_jpeg(client: Client, expert: ExpertProfile) -> None:
    data = image_bytes(Image.new("RGB", (32, 24), (10, 120, 10)), "WEBP")
    response = post_photo(client, expert, upload_file(data, "me.webp", "image/webp"))

    assert response.status_code == 302
    with Image.open(stored_path(expert)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (32, 24)


def test_type_is_decided_by_content_not_name(client: Client, expert: ExpertProfile) -> None:
    png = image_bytes(Image.new("RGB", (16, 16), "green"), "PNG")
    response = post_photo(client, expert, upload_file(png, "holiday.jpg", "image/jpeg"))

    assert response.status_code == 302
    with Image.open(stored_path(expert)) as stored:
        assert stored.format == "JPEG"


def test_large_photo_is_scaled_down(client: Client, expert: ExpertProfile) -> None:
    response = post_photo(client, expert, upload_file(jpeg_bytes((3000, 1500))))

    assert response.status_code == 302
    with Image.open(stored_path(expert)) as stored:
        assert stored.size == (1024, 512)


# Upload: refused -------------------------------------------------------------------------------


def test_text_file_renamed_jpg_is_refused(client: Client, expert: ExpertProfile) -> None:
    data = b"This is not a picture at all.\n" * 20
    response = post_photo(client, expert, upload_file(data, "photo.jpg", "image/jpeg"))
    assert_refused(response, expert, "invalid_image", INVALID_IMAGE)


def test_gif_is_refused_as_wrong_type_by_content(client: Client, expert: ExpertProfile) -> None:
    gif = image_bytes(Image.new("RGB", (20, 20), "red"), "GIF")
    assert gif.startswith(b"GIF8")
    # Named and labelled as a JPEG: only the content counts.
    response = post_photo(client, expert, upload_file(gif, "photo.jpg", "image/jpeg"))
    assert_refused(response, expert, "invalid_image", INVALID_IMAGE)


def test_decompression_bomb_is_refused(client: Client, expert: ExpertProfile) -> None:
    width = height = 20_000
    bomb = image_bytes(Image.new("1", (width, height)), "PNG")
    # A small file that would decode to 400 million pixels.
    assert len(bomb) < 200_000
    assert width * height > settings.PHOTO_MAX_PIXELS
    response = post_photo(client, expert, upload_file(bomb, "bomb.png", "image/png"))
    # Refused from the header, before a single pixel is decoded, and the user is told why.
    assert_refused(response, expert, "too_many_pixels", TOO_MANY_PIXELS)


def test_photo_with_more_pixels_than_allowed_is_refused(client: Client, expert: ExpertProfile, settings: Any) -> None:
    settings.PHOTO_MAX_PIXELS = 100
    response = post_photo(client, expert, upload_file(jpeg_bytes((20, 20))))
    assert_refused(response, expert, "too_many_pixels", TOO_MANY_PIXELS)


def test_file_larger_than_the_limit_is_refused(client: Client, expert: ExpertProfile, settings: Any) -> None:
    settings.PHOTO_MAX_BYTES = 1000
    data = noisy_jpeg_bytes()
    assert len(data) > 1000
    with Image.open(io.BytesIO(data)) as valid:
        assert valid.format == "JPEG"
    response = post_photo(client, expert, upload_file(data))
    assert_refused(response, expert, "too_large", TOO_LARGE)


def test_upload_without_a_file_is_refused(client: Client, expert: ExpertProfile) -> None:
    client.force_login(expert.user)
    response = client.post(reverse("experts:photo-upload"), {})
    assert response.status_code == 400
    assert "photo" in response.context["photo_form"].errors
    assert media_files() == []


def test_only_experts_can_upload(client: Client, unit_member: User) -> None:
    client.force_login(unit_member)
    response = client.post(reverse("experts:photo-upload"), {"photo": upload_file(jpeg_bytes())})
    assert response.status_code == 403
    assert media_files() == []


# Replace and remove ----------------------------------------------------------------------------


def test_replacing_a_photo_deletes_the_old_file(client: Client, expert: ExpertProfile) -> None:
    assert post_photo(client, expert, upload_file(jpeg_bytes((40, 20)))).status_code == 302
    first = stored_path(expert)

    assert post_photo(client, expert, upload_file(jpeg_bytes((30, 30)))).status_code == 302
    second = stored_path(expert)

    assert second != first
    assert not first.exists()
    assert media_files() == [second]
    with Image.open(second) as stored:
        assert stored.size == (30, 30)


def test_refused_replacement_keeps_the_current_photo(client: Client, expert: ExpertProfile) -> None:
    assert post_photo(client, expert, upload_file(jpeg_bytes())).status_code == 302
    current = stored_path(expert)

    response = post_photo(client, expert, upload_file(b"not an image", "x.jpg"))

    assert response.status_code == 400
    assert stored_path(expert) == current
    assert media_files() == [current]


def test_removing_the_photo_deletes_the_file(client: Client, expert: ExpertProfile) -> None:
    assert post_photo(client, expert, upload_file(jpeg_bytes())).status_code == 302
    path = stored_path(expert)

    response = client.post(reverse("experts:photo-delete"))

    assert response.status_code == 302
    expert.refresh_from_db()
    assert not expert.photo
    assert not path.exists()
    assert media_files() == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, detail="photo removed").count() == 1


def test_removing_is_post_only(client: Client, expert: ExpertProfile) -> None:
    assert post_photo(client, expert, upload_file(jpeg_bytes())).status_code == 302
    assert client.get(reverse("experts:photo-delete")).status_code == 405
    assert stored_path(expert).exists()


# Serving ---------------------------------------------------------------------------------------


@pytest.fixture
def expert_with_photo(client: Client, expert: ExpertProfile) -> ExpertProfile:
    assert post_photo(client, expert, upload_file(jpeg_bytes())).status_code == 302
    client.logout()
    expert.refresh_from_db()
    return expert


def test_expert_sees_own_photo(client: Client, expert_with_photo: ExpertProfile) -> None:
    client.force_login(expert_with_photo.user)
    response = client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    content = body(response)
    assert content == stored_path(expert_with_photo).read_bytes()
    with Image.open(io.BytesIO(content)) as served:
        assert served.format == "JPEG"


def test_area_wide_coordinator_sees_photo(client: Client, expert_with_photo: ExpertProfile, coordinator: User) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    body(response)


def test_coordinator_of_the_experts_region_sees_photo(
    client: Client, expert_with_photo: ExpertProfile, region: Region
) -> None:
    regional = make_user("regional-coordinator@example.test")
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.COORDINATOR, region=region)
    client.force_login(with_totp(regional))
    response = client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk]))
    assert response.status_code == 200
    body(response)


def test_coordinator_of_another_region_cannot_see_photo(
    client: Client, expert_with_photo: ExpertProfile, region: Region, other_region: Region
) -> None:
    assert expert_with_photo.home_region == region
    regional = make_user("far-coordinator@example.test")
    StaffRole.objects.create(user=regional, role=StaffRole.Kind.COORDINATOR, region=other_region)
    client.force_login(with_totp(regional))
    assert client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["anonymous", "other_expert", "unit_member", "manager"])
def test_others_cannot_see_photo(
    client: Client, expert_with_photo: ExpertProfile, persona: str, request: pytest.FixtureRequest
) -> None:
    if persona != "anonymous":
        user = request.getfixturevalue(persona)
        client.force_login(user.user if isinstance(user, ExpertProfile) else user)
    response = client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk]))
    assert response.status_code == 404


def test_other_expert_cannot_see_photo_even_with_own_photo(
    client: Client, expert_with_photo: ExpertProfile, other_expert: ExpertProfile
) -> None:
    assert post_photo(client, other_expert, upload_file(jpeg_bytes())).status_code == 302
    assert client.get(reverse("engagements:expert-photo", args=[other_expert.pk])).status_code == 200
    assert client.get(reverse("engagements:expert-photo", args=[expert_with_photo.pk])).status_code == 404


def test_no_photo_gives_404(client: Client, expert: ExpertProfile, coordinator: User) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("engagements:expert-photo", args=[expert.pk])).status_code == 404


def test_photo_is_never_under_a_public_url(client: Client, expert_with_photo: ExpertProfile) -> None:
    name = expert_with_photo.photo.name
    assert (Path(settings.MEDIA_ROOT) / name).is_file()
    public_paths = {f"/media/{name}", f"/{name}", expert_with_photo.photo.url}

    for path in public_paths:
        assert client.get(path).status_code == 404, path
    client.force_login(expert_with_photo.user)
    for path in public_paths:
        assert client.get(path).status_code == 404, path
    # The profile page loads the photo through the access-checked view only.
    page = client.get(reverse("experts:profile")).content.decode()
    assert reverse("engagements:expert-photo", args=[expert_with_photo.pk]) in page
    assert f'src="{expert_with_photo.photo.url}"' not in page


def test_unit_of_a_confirmed_request_sees_photo_only_with_consent(
    client: Client, expert_with_photo: ExpertProfile, unit_member: User, make_request: Any
) -> None:
    from django.utils import timezone as tz

    from engagements.models import Assignment
    from experts.models import EngagementRole

    req = make_request(status="confirmed")
    Assignment.objects.create(
        request=req,
        expert=expert_with_photo,
        role=EngagementRole.objects.get(code="panellist"),
        status="confirmed",
        offer_expires_at=tz.now(),
    )
    client.force_login(unit_member)
    url = reverse("engagements:expert-photo", args=[expert_with_photo.pk])
    assert client.get(url).status_code == 404
    expert_with_photo.give_consent("photo")
    assert client.get(url).status_code == 200
    page = client.get(reverse("engagements:unit-request", args=[req.pk])).content.decode()
    assert url in page
