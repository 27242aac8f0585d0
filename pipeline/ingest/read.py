"""Read one article file (plain text, HTML) or stdin into a record's raw text and title.

Read bytes (bounded, regular files only) -> decode (UTF-8, UTF-16 with BOM, else the likeliest
Western European code page) -> for HTML, the main text and headline (`itnews.ingest.html`).
Cleaning the text comes next (`itnews.ingest.clean`). Every problem raises `InputError(item,
reason)`; nothing prints.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from itnews.core.files import HTML_SUFFIXES, TEXT_SUFFIXES, open_regular_file
from itnews.core.record import InputError, Record
from itnews.ingest.html import extract_html

MAX_FILE_BYTES = 10 * 1024 * 1024  # HTML pages carry scripts and styles: allow well above article size

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
