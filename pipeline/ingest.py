"""Ingest: read one article file (plain text, HTML) or stdin into a record's raw text and title.

Read bytes (bounded, regular files only) -> decode (UTF-8, UTF-16 with BOM, else the likeliest
Western European code page) -> for HTML, the main text and headline (trafilatura). Cleaning the
text comes next (`itnews.clean`). Every problem raises `InputError(item, reason)`; nothing prints.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from itnews.record import InputError, Record

MAX_FILE_BYTES = 10 * 1024 * 1024  # HTML pages carry scripts and styles: allow well above article size
MIN_HTML_WORDS = 20  # fewer words from a page are menu or banner leftovers, not an article
MAX_LINK_SHARE = 0.5  # a page whose text is mostly whole link texts is a menu or a list of links
# A file named on the command line is read whatever its suffix (as HTML if it looks like a page);
# in a folder, only these are articles: a README.md or notes.md beside the articles is not one.
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
ARTICLE_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES

# Encodings that old Italian CMS exports use when they are not UTF-8. charset-normalizer alone
# tends to pick exotic code pages (cp1258) that turn "però" into "peṛ", so we limit its choice.
LEGACY_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "mac_roman"]


def read_file(record: Record) -> None:
    """Fill ``record.text`` (and the title, for HTML) from ``record.path``; ``-`` is stdin."""
    if record.path == "-":
        raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        is_html = looks_like_html(raw)
    else:
        raw = read_bytes(Path(record.path), record.source)
        suffix = Path(record.path).suffix.lower()
        is_html = suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES and looks_like_html(raw))
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(record.source, f"input too large: over {MAX_FILE_BYTES / 1e6:.0f} MB")
    record.text = decode_bytes(raw, record.source, record.warnings)
    if is_html:
        record.text, record.title = extract_html(record.text, record.source)
    record.path = None


def read_bytes(file: Path, item: str) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of a regular file."""
    with open_regular_file(file, item) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES / 1e6
            raise InputError(item, f"file too large: {size / 1e6:.1f} MB (limit {limit:.0f} MB)")
        return handle.read(MAX_FILE_BYTES + 1)


def check_regular_file(file: Path, item: str) -> None:
    """Refuses anything but a regular file before it is opened: a FIFO would block for ever,
    /dev/zero never ends, a directory is not an article."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise InputError(item, "no such file") from None
    except OSError as err:
        raise InputError(item, f"cannot read: {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(item, "is a directory, expected a file (use `itnews batch DIR` for folders)")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(item, "not a regular file (a pipe, device or socket); give a file or - for stdin")


def open_regular_file(file: Path, item: str):
    """A regular file opened for reading in binary. O_NONBLOCK: were the path swapped for a FIFO
    after the check, opening it still returns instead of waiting for a writer."""
    check_regular_file(file, item)
    try:
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        return os.fdopen(descriptor, "rb")
    except OSError as err:
        raise InputError(item, f"cannot read: {err.strerror or err}") from None


def looks_like_html(raw: bytes) -> bool:
    head = raw[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in raw[:4096].lower()


def decode_bytes(raw: bytes, item: str, warnings: list[str]) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else a legacy code page."""
    if not raw.strip():
        raise InputError(item, "empty input")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(item, "undecodable bytes: broken UTF-16") from None
    if b"\x00" in raw[:8192]:
        raise InputError(item, "binary file (contains NUL bytes), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(raw, cp_isolation=LEGACY_ENCODINGS).best()
    if best is None:
        raise InputError(item, "undecodable bytes: neither UTF-8 nor a Western European text encoding")
    warnings.append(f"not UTF-8: decoded as {best.encoding}")
    return str(best)


def extract_html(html: str, item: str) -> tuple[str, str | None]:
    """Main text and headline of a web page; menus, banners and footers are left out."""
    import trafilatura

    from itnews.clean import normalise_for_comparison

    body = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=False, include_images=False
    )
    # No extensive date search: it loads dateparser (2 s on the first page) for a date not used here.
    metadata = trafilatura.extract_metadata(html, date_config={"extensive_search": False})
    title = metadata.title.strip() if metadata and metadata.title else None
    if not body or len(body.split()) < MIN_HTML_WORDS:
        raise InputError(item, "no article text found in the HTML page")
    lines = body.splitlines()
    if link_share(html, lines) > MAX_LINK_SHARE:
        raise InputError(item, "no article text found in the HTML page, only menus or lists of links")
    # trafilatura keeps the <h1> as the first line of the body; the title field carries it.
    if title and lines and normalise_for_comparison(lines[0]) == normalise_for_comparison(title):
        lines = lines[1:]
    # Paragraphs come one per line; blank lines make them blocks for `split_blocks`.
    return "\n\n".join(lines), title


def link_shape(text: str) -> str:
    return " ".join(text.split()).casefold()


def link_share(html: str, lines: list[str]) -> float:
    """The share of the extracted words that are whole link texts. trafilatura keeps a page's
    navigation when nothing else is there ("Sezione 0", "Sezione 1", ...); link density is the
    classic boilerplate signal (jusText, Boilerpipe), measured here on what trafilatura kept."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.ParserError):
        return 0.0
    links = {link_shape(anchor.text_content()) for anchor in tree.iter("a")}
    words = sum(len(line.split()) for line in lines)
    linked = sum(len(line.split()) for line in lines if link_shape(line) in links)
    return linked / words if words else 0.0


def file_record(path: str, article_id: str | None = None) -> Record:
    """The record of an article file (or ``-``, stdin), to be read by the Clean step. Its id is the
    file's stem unless given. The path is kept as the OS gave it, to open the file; the id and the
    source, which outputs and messages carry, are made valid Unicode."""
    if path == "-":
        return Record(id="stdin", source="stdin", path="-")
    return Record(id=valid_text(article_id or Path(path).stem), source=valid_text(path), path=path)


def valid_text(text: str) -> str:
    """Lone surrogates (undecodable bytes of a file name, ``"\\ud800"`` in JSON) as visible escapes:
    no sink can encode them, and an id must read back as it was written to be skipped on resume."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def read_article(path: str, *, strict_lang: bool = False) -> Record:
    """One article file read and cleaned (for scripts and tests); raises InputError."""
    from itnews.clean import clean_record

    record = file_record(path)
    read_file(record)
    return clean_record(record, strict_lang=strict_lang)
