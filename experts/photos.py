"""Image uploads: only real images of the allowed formats, re-encoded so that no metadata survives."""

from __future__ import annotations

import io
import warnings
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 1024


def reencode_photo(upload: UploadedFile) -> ContentFile[bytes]:
    """A profile photo: JPEG, PNG or WebP up to PHOTO_MAX_BYTES."""
    if upload.size is None or upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is too large. The largest allowed size is %(mb)s MB."),
            code="too_large",
            params={"mb": formats.number_format(settings.PHOTO_MAX_BYTES / (1024 * 1024), decimal_pos=1)},
        )
    return reencode_image(
        upload,
        formats=ALLOWED_FORMATS,
        error=_("This file is not a JPEG, PNG or WebP image. Please choose another photo."),
    )


def reencode_image(
    upload: UploadedFile, *, formats: tuple[str, ...], error: Any, max_side: int = MAX_SIDE
) -> ContentFile[bytes]:
    """Open with Pillow restricted to `formats`, treat decompression bombs as errors, apply the
    EXIF orientation and save a fresh JPEG. Pillow writes no EXIF, XMP, ICC or comment unless
    asked, so GPS and camera data are gone."""
    try:
        with warnings.catch_warnings():
            # A decompression bomb is an error here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            image = Image.open(upload, formats=formats)
            width, height = image.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="too_many_pixels")
            image.load()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise ValidationError(error, code="invalid_image") from exc
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    # Pillow's JPEG writer would reuse a comment (or other text) left in `info`; start clean.
    image.info.clear()
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=85, optimize=True)
    return ContentFile(output.getvalue(), name="photo.jpg")
