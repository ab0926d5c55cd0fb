"""Rewrite one untrusted PDF without its active parts, in a process of its own.

registry.uploads runs this file as `python -I pdfclean.py` with the PDF on stdin and reads the new
PDF from stdout. pypdf is pure Python and parses one object for as long as the object goes on, so a
time check between objects cannot bound it: the whole job runs in a child process under hard limits
instead, a CPU-time timer, RLIMIT_CPU and RLIMIT_AS here and a wall-clock timeout in the parent. The
exit code names the reason for a refusal. No Django here: the process must start fast and import
only what it needs.

What the copy keeps: the pages with their content, fonts and images, web and mail links, notes.
What it drops: the document catalogue (open action, document scripts, embedded files, forms, XFA,
outline, metadata) by not copying it; on pages and everything they reference, additional actions,
script, launch, submit and other non-link actions, form widgets, file attachments, sound, movie,
screen and rich-media annotations. Every filtered stream is decoded once, counting bytes and
keeping none, so that a decompression bomb is refused here rather than in a reader's viewer.
"""

from __future__ import annotations

import io
import re
import resource
import signal
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from pypdf import PdfReader, PdfWriter, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

# Exit codes (0: the new PDF is on stdout).
UNREADABLE, TOO_COMPLEX, ENCRYPTED = 10, 11, 12

CPU_SECONDS = 1.0  # for parsing and rewriting, after the imports
MEMORY_BYTES = 512 * 1024 * 1024  # address space; the resident peak stays far lower
MAX_PAGES = 1000
MAX_OBJECTS = 20_000  # pypdf needs tens of microseconds for each one it reads
MAX_ELEMENTS = 20_000  # in one array or dictionary
MAX_STREAM_BYTES = 32 * 1024 * 1024  # one decoded stream
MAX_DECODED_BYTES = 128 * 1024 * 1024  # all decoded streams together
MAX_IMAGE_PIXELS = 100_000_000  # declared size of one embedded image
STEP_BYTES = 1024 * 1024
# 64 arrays or dictionaries opened one inside the other: no real PDF nests so deep, and pypdf's
# recursive parser would spend its time (or its stack) on them.
DEEP_NESTING = re.compile(rb"(?:(?:<<|\[)\s*(?:/[^\s/<>\[\]()]+\s*)?){64}")

# Annotations that only show something.
SAFE_ANNOTATIONS = frozenset(
    {
        "/Link",
        "/Text",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Stamp",
        "/Caret",
        "/Ink",
        "/Popup",
    }
)
# Actions that only move within the document or open a web or mail link.
SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
# Keys whose value runs something, embeds a file or makes a form, wherever they appear.
DROPPED_KEYS = frozenset(
    {
        "/AA",
        "/OpenAction",
        "/JS",
        "/JavaScript",
        "/AcroForm",
        "/XFA",
        "/EmbeddedFiles",
        "/EF",
        "/RichMediaContent",
        "/RichMediaSettings",
    }
)
ACTION_KEYS = ("/A", "/PA", "/Next")
# Back references: following them would walk the whole page tree from every page.
SKIPPED_KEYS = frozenset({"/Parent", "/P"})
IMAGE_CODECS = frozenset({"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/DCT", "/CCF"})


class Refused(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class OutOfTime(BaseException):  # not an Exception: pypdf must not swallow it
    pass


def configuration() -> dict[str, Any]:
    """pypdf's own limits, tightened to ours (they apply to what pypdf decodes by itself: xref
    streams and object streams)."""
    return {
        "maximum_declared_stream_length": MAX_STREAM_BYTES,
        "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
        "array_maximum_element_count": MAX_ELEMENTS,
        "dictionary_maximum_element_count": MAX_ELEMENTS,
        "zlib_maximum_output_length": MAX_STREAM_BYTES,
        "zlib_maximum_recovery_input_length": 64 * 1024,  # its recovery reads byte by byte
        "lzw_maximum_output_length": MAX_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_STREAM_BYTES,
        "jbig2_maximum_output_length": MAX_STREAM_BYTES,
        "brotli_maximum_output_length": MAX_STREAM_BYTES,
        "image_maximum_buffer_size": MAX_STREAM_BYTES,
        "stream_decoding_work_maximum_length": 2 * MAX_STREAM_BYTES,
        "page_tree_maximum_entries": 2 * MAX_PAGES,
        "page_tree_maximum_page_entries": MAX_OBJECTS,
        "jbig2dec_binary": None,  # never start an external decoder for an upload
        "disable_legacy_handling": True,
    }


def clean_pdf(data: bytes) -> bytes:
    """The rewritten PDF, or Refused(UNREADABLE | TOO_COMPLEX | ENCRYPTED)."""
    if not data.startswith(b"%PDF-"):
        raise Refused(UNREADABLE)
    # Counted at C speed before pypdf reads a thing: pypdf checks the header of every object the
    # cross-reference table lists when it opens the file.
    if data.count(b"endobj") > MAX_OBJECTS or len(re.findall(rb"\d{10} \d{5} [fn]", data)) > MAX_OBJECTS:
        raise Refused(TOO_COMPLEX)
    if DEEP_NESTING.search(data):
        raise Refused(TOO_COMPLEX)
    try:
        with apply_configuration(**configuration()):
            return _rewrite(data)
    except Refused:
        raise
    except (OutOfTime, RecursionError, MemoryError, LimitReachedError) as exc:
        raise Refused(TOO_COMPLEX) from exc
    except Exception as exc:  # any other failure of the parser on hostile input means "unreadable"
        raise Refused(UNREADABLE) from exc


def _rewrite(data: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise Refused(ENCRYPTED)
    size = reader.trailer.get("/Size", 0)
    if not isinstance(size, int) or size > MAX_OBJECTS:
        raise Refused(TOO_COMPLEX)
    pages = reader.pages
    if len(pages) == 0:
        raise Refused(UNREADABLE)
    if len(pages) > MAX_PAGES:
        raise Refused(TOO_COMPLEX)
    cleaner = Cleaner()
    writer = PdfWriter()
    for page in pages:
        # The reader's own page object (annotations point back to it) and the flattened copy with
        # inherited resources that add_page copies.
        if page.indirect_reference is not None:
            cleaner.clean(page.indirect_reference)
        cleaner.clean(page)
        writer.add_page(page)
    # The copy must hold nothing the cleaning removed: a second look, at what will be written.
    Cleaner(verify=True).clean(writer.root_object)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


class Cleaner:
    """Walks a PDF object graph without recursion, removing active content in place."""

    def __init__(self, *, verify: bool = False) -> None:
        self.verify = verify
        self.seen: set[tuple[int, int]] = set()
        self.visited = 0
        self.decoded = 0

    def clean(self, start: Any) -> None:
        stack = [start]
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in self.seen:
                    continue
                self.seen.add(key)
                item = item.get_object()
            self.visited += 1
            if self.visited > 10 * MAX_OBJECTS:
                raise Refused(TOO_COMPLEX)
            if isinstance(item, DictionaryObject):
                self._clean_dictionary(item)
                stack.extend(v for k, v in item.items() if k not in SKIPPED_KEYS and _is_container(v))
            elif isinstance(item, ArrayObject):
                stack.extend(v for v in item if _is_container(v))

    def _clean_dictionary(self, item: DictionaryObject) -> None:
        for key in DROPPED_KEYS & set(item.keys()):
            self._drop(item, key)
        for key in ACTION_KEYS:
            if key in item and not _safe_action(item[key]):
                self._drop(item, key)
        if "/Annots" in item:
            annotations = item["/Annots"].get_object()
            if not isinstance(annotations, ArrayObject):
                self._drop(item, "/Annots")
            else:
                kept = [a for a in annotations if _safe_annotation(a.get_object())]
                if len(kept) != len(annotations):
                    if self.verify:
                        raise ValueError("unsafe annotation left in the copy")
                    annotations[:] = kept
        if isinstance(item, StreamObject) and not self.verify:
            self._check_stream(item)

    def _drop(self, item: DictionaryObject, key: str) -> None:
        if self.verify:
            raise ValueError(f"{key} left in the copy")
        del item[key]

    def _check_stream(self, stream: StreamObject) -> None:
        """Decode once, counting the bytes and keeping none: refuse bombs here."""
        if stream.get("/Subtype") == "/Image":
            width, height = stream.get("/Width", 0), stream.get("/Height", 0)
            if not isinstance(width, int) or not isinstance(height, int) or width * height > MAX_IMAGE_PIXELS:
                raise Refused(TOO_COMPLEX)
        filters = stream.get("/Filter", ())
        filters = filters.get_object() if isinstance(filters, IndirectObject) else filters
        if isinstance(filters, str):
            names = [filters]
        else:
            assert isinstance(filters, Iterable)  # as list() would, anything else fails: refused as unreadable
            names = list(filters)
        if not names or any(name in IMAGE_CODECS for name in names):
            # Unfiltered data is no larger than the file; for image codecs the declared size above
            # is what a viewer allocates.
            return
        if names in (["/FlateDecode"], ["/Fl"]):
            length = _inflated_length(StreamObject.get_data(stream))  # the base class gives the raw bytes
        else:
            length = len(decode_stream_data(stream))  # rarer filter chains: pypdf, under its caps
        self.decoded += length
        if length > MAX_STREAM_BYTES or self.decoded > MAX_DECODED_BYTES:
            raise Refused(TOO_COMPLEX)


def _inflated_length(raw: bytes) -> int:
    """How many bytes a zlib stream unpacks to, in steps of STEP_BYTES, stopping past the cap.

    A damaged stream counts up to where it breaks, as a viewer would show it.
    """
    inflater = zlib.decompressobj()
    produced, pending = 0, raw
    try:
        while True:
            out = inflater.decompress(pending, STEP_BYTES)
            produced += len(out)
            if produced > MAX_STREAM_BYTES:
                return produced
            pending = inflater.unconsumed_tail
            if not pending and len(out) < STEP_BYTES:
                return produced
    except zlib.error:
        return produced


def _is_container(value: Any) -> bool:
    return isinstance(value, (ArrayObject, DictionaryObject, IndirectObject))


def _actions(value: Any) -> Iterator[Any]:
    value = value.get_object()
    if isinstance(value, ArrayObject):
        for action in value:
            yield action.get_object()
    else:
        yield value


def _safe_action(value: Any, depth: int = 0) -> bool:
    """A /GoTo, /Named or web/mail /URI action (or a chain of them); nothing that runs or opens."""
    if depth > 20:
        return False
    for action in _actions(value):
        if not isinstance(action, DictionaryObject) or action.get("/S") not in SAFE_ACTIONS:
            return False
        if action.get("/S") == "/URI":
            uri = action.get("/URI")
            if not isinstance(uri, (str, bytes)):
                return False
            text = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
            if not text.strip().lower().startswith(SAFE_URI_SCHEMES):
                return False
        if "/Next" in action and not _safe_action(action["/Next"], depth + 1):
            return False
    return True


def _safe_annotation(annotation: Any) -> bool:
    if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") not in SAFE_ANNOTATIONS:
        return False
    return all(key not in annotation or _safe_action(annotation[key]) for key in ("/A", "/PA"))


def _out_of_time(_signum: int, _frame: Any) -> None:
    raise OutOfTime


def main() -> int:
    # A single-threaded process of its own: signals are safe here (never in the web process).
    limit = int(CPU_SECONDS) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))  # the kernel's backstop
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGPROF, _out_of_time)
    signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
    try:
        data = sys.stdin.buffer.read()
        result = clean_pdf(data)
    except Refused as refused:
        return refused.code
    except (OutOfTime, MemoryError):
        return TOO_COMPLEX
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
