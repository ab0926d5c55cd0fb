"""Profile photos: only real images of the allowed formats, re-encoded so that no metadata survives."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from registry.uploads import reencode_image

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 1024


def reencode_photo(upload: UploadedFile) -> ContentFile[bytes]:
    """A profile photo: JPEG, PNG or WebP up to PHOTO_MAX_BYTES, stored as a fresh JPEG."""
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
        max_side=MAX_SIDE,
    )
