"""The one way a private upload (attachment, receipt, photo) leaves the server."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def private_file_response(
    file: FieldFile, *, content_type: str, filename: str = "download", inline: bool = False
) -> FileResponse:
    """Serve a stored upload to someone the caller has already checked may see it.

    Uploads are downloaded, never shown in the browser (`inline` only for the re-encoded photos that
    pages show in <img>), the browser must not guess another type, and nothing is cached on the way.
    """
    if not file:
        raise Http404
    response = FileResponse(
        file.open("rb"),
        content_type=content_type or "application/octet-stream",
        as_attachment=not inline,
        filename=filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # A document opened from the download must not run with this site's rights.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
