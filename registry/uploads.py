"""Upload safety: the one place where a file from a user is looked into before it is stored.

Every upload (request attachments, expense receipts, profile photos) is treated as hostile. What it
goes through, in order (docs/security.md, "Uploads and hostile input", says why and how it is tested):

1. a size cap in bytes (the forms check it first);
2. sniffing by magic bytes, from a bounded read: the name and the browser's type are never trusted;
3. bounded parsing: every decompression or decoding is capped in bytes produced and in time, with
   no signals in the web process (they are not safe in its threads):
   - ZIP documents (DOCX, ODT): central directory size and member count read from the end record
     before the archive is opened; only stored or deflated members; declared sizes and ratios
     checked; then every member inflated in bounded steps, counting the bytes it really produces
     against the size and CRC it declares; no overlapping members, no data before, between or
     after them; no macros; `mimetype` and `[Content_Types].xml` read with a byte cap;
     all under a CPU-time `Budget` checked in every loop;
   - PDFs: pypdf in a child process of its own (registry/pdfclean.py) under CPU-time, memory and
     wall-clock limits, with caps on objects, pages, elements and decoded bytes;
   - images: Pillow limited to the expected formats, pixel count checked from the header before
     any pixel is decoded, JPEGs decoded at reduced scale;
4. rewriting: a PDF is rebuilt page by page with no JavaScript, actions, embedded files, forms or
   document metadata; an image is re-encoded as a fresh JPEG without metadata. DOCX and ODT are
   stored as they came once they pass the checks;
5. storage under a random name (the models' upload_to) and serving only through
   registry.files.private_file_response: a download, `nosniff`, a sandboxing CSP.

Anything that fails raises ValidationError with a translated message that the form shows next to the
field.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from registry import pdfclean

# Limits. A real DOCX, ODT, PDF or photo of at most 10 MB stays far below each of them.
CHECK_SECONDS = 1.5  # CPU time of the request's thread for checking one ZIP document
SNIFF_BYTES = 16

ZIP_MAX_MEMBERS = 2000
ZIP_MAX_CENTRAL_DIRECTORY_BYTES = 1024 * 1024
ZIP_MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # all members together
ZIP_MAX_RATIO = 100  # unpacked / packed, for members larger than ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
ZIP_KEEP_BYTES = 256 * 1024  # how much of `mimetype` or `[Content_Types].xml` is kept to read
ZIP_STEP_BYTES = 256 * 1024  # one inflate step, in and out

IMAGE_MAX_DECODED_BYTES = 64 * 1024 * 1024  # pixels in memory at four bytes each, after JPEG draft

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
JPEG = "image/jpeg"
CONTENT_TYPES = {"pdf": PDF, "docx": DOCX, "odt": ODT, "jpeg": JPEG, "png": "image/png", "webp": "image/webp"}

# Pillow's own bomb guard, as a second line behind the explicit pixel check below.
Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS

ENCRYPTED = _("Password-protected files cannot be uploaded. Save the file without a password and try again.")
DOCUMENT_UNREADABLE = _("The document could not be read. Save it again as DOCX, ODT or PDF and try again.")
DOCUMENT_TOO_BIG_UNPACKED = _("The document unpacks to too much data. Save it as a PDF and try again.")
DOCUMENT_MACROS = _("Documents with macros cannot be uploaded. Save it without macros (DOCX, ODT or PDF).")
PDF_UNREADABLE = _("The PDF file could not be read. Save it again, for example with “Print to PDF”, and try again.")
PDF_TOO_COMPLEX = _(
    "The PDF file is too large or complex to check. Save it again, for example with “Print to PDF”, or split it."
)
TOO_MANY_PIXELS = _("The image has too many pixels. Make it smaller and try again.")


class OverBudget(Exception):
    """Checking took longer than the upload's time budget."""


class Budget:
    """A time limit checked inside every loop that reads hostile input.

    No signals (not safe in the web server's threads): a loop that notices the limit has passed
    raises OverBudget. The clock is the CPU time of this thread, so a busy machine slows a real
    document down without making it fail, while a bomb still runs out of time after the same work.
    """

    def __init__(self, seconds: float | None = None) -> None:
        self.deadline = time.thread_time() + (CHECK_SECONDS if seconds is None else seconds)

    def check(self) -> None:
        if time.thread_time() > self.deadline:
            raise OverBudget


@dataclass(frozen=True)
class CleanUpload:
    """What may be stored: the (possibly rewritten) content and the type it really is."""

    file: File[bytes]
    content_type: str
    size: int


# Sniffing --------------------------------------------------------------------------------------------


def read_head(upload: File[bytes], count: int = SNIFF_BYTES) -> bytes:
    upload.seek(0)
    head = upload.read(count)
    upload.seek(0)
    return head


def sniff(upload: File[bytes]) -> str | None:
    """The file's kind by its first bytes: pdf, zip, jpeg, png or webp; None for anything else.

    Only a signature at offset 0 counts, so a file that starts as something else (HTML, a script)
    is not taken for a document even if one is hidden further in.
    """
    head = read_head(upload)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def clean_upload(
    upload: File[bytes], *, allow: Collection[str], wrong_type: Any, budget: Budget | None = None
) -> CleanUpload:
    """Check an upload of one of the `allow`ed kinds (pdf, docx, odt, image) and return what to store.

    PDFs are rewritten, images re-encoded as JPEG, DOCX and ODT stored unchanged once checked.
    The caller has already checked the size in bytes.
    """
    budget = budget or Budget()
    kind = sniff(upload)
    if kind == "pdf" and "pdf" in allow:
        data = rewrite_pdf(upload)
        return CleanUpload(ContentFile(data, name="document.pdf"), PDF, len(data))
    if kind == "zip" and {"docx", "odt"} & set(allow):
        document = check_zip_document(upload, budget=budget)
        if document is not None and document in allow:
            upload.seek(0)
            return CleanUpload(upload, CONTENT_TYPES[document], upload.size or 0)
    if kind in ("jpeg", "png") and "image" in allow:
        image = reencode_image(upload, formats=("JPEG", "PNG"), error=wrong_type, max_side=2000)
        return CleanUpload(image, JPEG, image.size)
    raise ValidationError(wrong_type, code="invalid_type")


# ZIP documents (DOCX, ODT) --------------------------------------------------------------------------


def check_zip_document(upload: File[bytes], *, budget: Budget | None = None) -> str | None:
    """'docx' or 'odt' for a well-formed word-processing document, None for another ZIP file.

    Raises ValidationError for an archive that is damaged, encrypted, a bomb or has macros.
    """
    budget = budget or Budget()
    try:
        return _check_zip(upload, budget)
    except OverBudget as exc:
        raise ValidationError(DOCUMENT_TOO_BIG_UNPACKED, code="too_large_unpacked") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError) as exc:
        raise ValidationError(DOCUMENT_UNREADABLE, code="invalid_document") from exc
    except (ValueError, NotImplementedError, RuntimeError, KeyError) as exc:
        raise ValidationError(DOCUMENT_UNREADABLE, code="invalid_document") from exc
    finally:
        upload.seek(0)


def _unreadable() -> ValidationError:
    return ValidationError(DOCUMENT_UNREADABLE, code="invalid_document")


def _too_big() -> ValidationError:
    return ValidationError(DOCUMENT_TOO_BIG_UNPACKED, code="too_large_unpacked")


def _end_record(upload: File[bytes], size: int) -> tuple[int, int]:
    """(members, central directory offset) from the end record, read before zipfile parses the
    central directory, so that a directory of a million entries is refused without building a
    million objects."""
    if size < 22:
        raise _unreadable()
    upload.seek(size - 22)
    record = upload.read(22)
    signature, _disk, _cd_disk, _here, members, cd_size, cd_offset, comment = struct.unpack("<4sHHHHIIH", record)
    if signature != b"PK\x05\x06" or comment:
        # Office documents carry no archive comment and nothing after the archive: such bytes are
        # how a ZIP is made to pass for another file type too (a polyglot).
        raise _unreadable()
    if members == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        raise _unreadable()  # ZIP64: never needed for a document of at most a few megabytes
    if cd_offset + cd_size != size - 22:
        raise _unreadable()  # bytes between the directory and the end record
    if members > ZIP_MAX_MEMBERS or cd_size > ZIP_MAX_CENTRAL_DIRECTORY_BYTES:
        raise _too_big()
    return members, cd_offset


def _check_zip(upload: File[bytes], budget: Budget) -> str | None:
    members, cd_offset = _end_record(upload, upload.size or 0)
    upload.seek(0)
    with zipfile.ZipFile(upload) as archive:
        infos = archive.infolist()
        if len(infos) != members or len({info.filename for info in infos}) != len(infos):
            raise _unreadable()  # a second entry with the same name reads differently in each program
        declared = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise ValidationError(ENCRYPTED, code="encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                # Word and LibreOffice write only these two. bzip2 and LZMA reach ratios of a million
                # to one (a 919-byte ODT that unpacks to 2 GB).
                raise _unreadable()
            if info.file_size > ZIP_RATIO_FLOOR and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
                raise _too_big()
            declared += info.file_size
            if declared > ZIP_MAX_UNPACKED_BYTES:
                raise _too_big()
        kept: dict[str, bytes] = {}
        # Members follow each other from the first byte to the central directory, with nothing
        # before, between or after them and no overlap (overlapping members let one compressed
        # block count many times; hidden bytes make a polyglot).
        position = 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            if info.header_offset != position:
                raise _unreadable()
            keep = ZIP_KEEP_BYTES if info.filename in ("mimetype", "[Content_Types].xml") else 0
            position, data = _inflate_member(upload, info, budget, keep=keep, limit=cd_offset)
            if keep:
                kept[info.filename] = data
        if position != cd_offset:
            raise _unreadable()
        names = [info.filename for info in infos]
    return _document_kind(names, kept)


def _inflate_member(
    upload: File[bytes], info: zipfile.ZipInfo, budget: Budget, *, keep: int, limit: int
) -> tuple[int, bytes]:
    """Unpack one member in bounded steps; return where the next member must start and the first
    `keep` bytes of this one.

    The sizes in the central directory are only claims: count what the data really produces, stop
    as soon as it is more than claimed, and compare the CRC at the end.
    """
    upload.seek(info.header_offset)
    header = upload.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise _unreadable()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    end = start + info.compress_size
    if end > limit:
        raise _unreadable()
    upload.seek(start)
    remaining = info.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, crc, kept = 0, 0, bytearray()

    def take(out: bytes) -> None:
        nonlocal produced, crc
        produced += len(out)
        if produced > info.file_size:
            raise _too_big()  # the data unpacks to more than the archive says
        crc = zlib.crc32(out, crc)
        if len(kept) < keep:
            kept.extend(out[: keep - len(kept)])

    while remaining:
        budget.check()
        chunk = upload.read(min(ZIP_STEP_BYTES, remaining))
        if not chunk:
            raise _unreadable()
        remaining -= len(chunk)
        if inflater is None:
            take(chunk)
            continue
        pending = chunk
        while True:
            budget.check()
            out = inflater.decompress(pending, ZIP_STEP_BYTES)
            take(out)
            pending = inflater.unconsumed_tail
            if not pending and len(out) < ZIP_STEP_BYTES:
                break
    if inflater is not None and (not inflater.eof or inflater.unused_data):
        raise _unreadable()
    if produced != info.file_size or crc != info.CRC:
        raise _unreadable()
    if info.flag_bits & 0x08:
        # A data descriptor (CRC and sizes, with or without its signature) follows the data.
        upload.seek(end)
        end += 16 if upload.read(4) == b"PK\x07\x08" else 12
    return end, bytes(kept)


def _document_kind(names: list[str], kept: dict[str, bytes]) -> str | None:
    lowered = [name.lower() for name in names]
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        types = kept.get("[Content_Types].xml", b"")
        if b"macroEnabled" in types or any(name.endswith(("vbaproject.bin", "vbadata.xml")) for name in lowered):
            raise ValidationError(DOCUMENT_MACROS, code="macros")
        if b"wordprocessingml.document.main+xml" not in types:
            return None
        return "docx"
    if kept.get("mimetype", b"").strip() == ODT.encode():
        if any(name.startswith(("basic/", "scripts/")) for name in lowered):
            raise ValidationError(DOCUMENT_MACROS, code="macros")
        return "odt"
    return None


# PDF -------------------------------------------------------------------------------------------------

PDF_CHILD = Path(__file__).with_name("pdfclean.py")
PDF_WALL_SECONDS = 20  # only for a machine so busy that the child's CPU limits never come due


def rewrite_pdf(upload: File[bytes]) -> bytes:
    """A new PDF with the same pages and none of the active parts, or ValidationError.

    The work runs in a child process under CPU, memory and wall-clock limits (registry/pdfclean.py
    says what is kept and what is dropped, and why a process of its own).
    """
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        # -I: isolated, no environment variables or current directory decide what is imported.
        done = subprocess.run(  # noqa: S603 - a fixed command; the PDF travels on stdin
            [sys.executable, "-I", str(PDF_CHILD)],
            input=data,
            capture_output=True,
            timeout=PDF_WALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex") from exc
    if done.returncode == 0 and done.stdout.startswith(b"%PDF-"):
        return done.stdout
    if done.returncode == pdfclean.ENCRYPTED:
        raise ValidationError(ENCRYPTED, code="encrypted")
    if done.returncode == pdfclean.UNREADABLE:
        raise ValidationError(PDF_UNREADABLE, code="invalid_pdf")
    # TOO_COMPLEX, or killed by the CPU or memory limit.
    raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")


# Images ----------------------------------------------------------------------------------------------


def reencode_image(
    upload: File[bytes], *, formats: tuple[str, ...], error: Any, max_side: int = 1024
) -> ContentFile[bytes]:
    """Open with Pillow restricted to `formats`, refuse too many pixels before decoding any, decode
    JPEGs at reduced scale, shrink, apply the EXIF orientation and save a fresh JPEG. Pillow writes
    no EXIF, XMP, ICC or comment unless asked, so GPS and camera data are gone."""
    try:
        upload.seek(0)
        with Image.open(upload, formats=formats) as opened:
            width, height = opened.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size: never more than needed.
            opened.draft("RGB", (max_side, max_side))
            width, height = opened.size
            if width * height * 4 > IMAGE_MAX_DECODED_BYTES:
                raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
            opened.load()
            # Shrink first: the turn and the colour conversion below then work on a small image.
            opened.thumbnail((max_side, max_side))
            image = ImageOps.exif_transpose(opened)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise ValidationError(error, code="invalid_image") from exc
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    # Pillow's JPEG writer would reuse a comment (or other text) left in `info`; start clean.
    image.info.clear()
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=85, optimize=True)
    return ContentFile(output.getvalue(), name="image.jpg")
