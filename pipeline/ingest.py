"""Ingest: read articles (plain text, HTML, stdin, records) and clean them into `Article` records.

The steps, in order: read bytes -> decode (UTF-8, else the likeliest Western European code page)
-> repair mojibake and normalise Unicode (ftfy, NFC) -> extract the main text from HTML
(trafilatura) -> split into blocks (paragraphs, headings, list items), dropping boilerplate lines
and repeated paragraphs -> segment sentences (pysbd, Italian) -> detect the language (py3langid).
Every problem with an item raises `InputError(item, reason)`; nothing here prints.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from itnews.records import Article, InputError

MAX_FILE_BYTES = 10 * 1024 * 1024  # HTML pages carry scripts and styles: allow well above article size
MAX_ARTICLE_CHARS = 200_000  # ~30,000 words: anything longer is a dump of many articles, not one
MIN_HTML_WORDS = 20  # fewer words from a page are menu or banner leftovers, not an article
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}

# Encodings that old Italian CMS exports use when they are not UTF-8. charset-normalizer alone
# tends to pick exotic code pages (cp1258) that turn "però" into "peṛ", so we limit its choice.
LEGACY_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "mac_roman"]


# --- reading and decoding -------------------------------------------------------------------


def read_article(path: str, *, strict_lang: bool = False) -> Article:
    """Read one article from a file path, or from stdin when ``path`` is ``-``."""
    if path == "-":
        item, raw = "stdin", sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        is_html = looks_like_html(raw)
        article_id = "stdin"
    else:
        file = Path(path)
        item = path
        if not file.exists():
            raise InputError(item, "no such file")
        if file.is_dir():
            raise InputError(item, "is a directory, expected a file (use `itnews batch DIR` for folders)")
        if file.stat().st_size > MAX_FILE_BYTES:
            size_mb = file.stat().st_size / 1e6
            raise InputError(item, f"file too large: {size_mb:.1f} MB (limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
        try:
            raw = file.read_bytes()
        except OSError as err:
            raise InputError(item, f"cannot read: {err.strerror or err}") from None
        is_html = file.suffix.lower() in HTML_SUFFIXES or (
            file.suffix.lower() not in TEXT_SUFFIXES and looks_like_html(raw)
        )
        article_id = file.stem
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(item, f"input too large: over {MAX_FILE_BYTES / 1e6:.0f} MB")
    warnings: list[str] = []
    text = decode_bytes(raw, item, warnings)
    title = None
    if is_html:
        text, title = extract_html(text, item)
    return make_article(
        article_id, text, title=title, source=item, strict_lang=strict_lang, warnings=warnings
    )


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

    body = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=False, include_images=False
    )
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title.strip() if metadata and metadata.title else None
    if not body or len(body.split()) < MIN_HTML_WORDS:
        raise InputError(item, "no article text found in the HTML page")
    # trafilatura keeps the <h1> as the first line of the body; the title field carries it.
    lines = body.splitlines()
    if title and lines and normalise_for_comparison(lines[0]) == normalise_for_comparison(title):
        lines = lines[1:]
    # Paragraphs come one per line; blank lines make them blocks for `split_blocks`.
    return "\n\n".join(lines), title


# --- cleaning -------------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # "paragraph", "heading" or "item"
    text: str


# Newspaper furniture that survives copy-paste and CMS exports. No library lists the Italian
# phrasings, so the project keeps them here; each pattern only drops a short line (see below).
BOILERPLATE_PATTERNS = [
    r"riproduzione riservata",
    r"tutti i diritti riservati",
    r"^©|©$|^\(c\)\s|^copyright\b",  # anchored: a lead may mention copyright mid-sentence
    r"^leggi anche\b",
    r"^(ti )?potrebbe(ro)? interessarti\b",
    r"^condividi\b|^share\b|condividi su (facebook|twitter|whatsapp|x|linkedin|telegram)",
    r"^(iscriviti|abbonati|registrati)\b",
    r"newsletter",
    r"^seguici (su|anche)\b",
    r"^scarica (la nostra |l')app\b",
    r"p\.?\s?iva\s*:?\s*\d{11}",
    r"^(commenta|lascia un commento|commenti)\b",
    r"^(pubblicità|advertisement|contenuto sponsorizzato)$",
    r"^(foto|video) ?:?\s*(ansa|getty|lapresse)\b",
]
BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS), re.IGNORECASE)
BOILERPLATE_MAX_WORDS = 25  # a long line that mentions a newsletter is article text, not furniture
BULLET = re.compile(r"^\s*(?:[-–•*·▪●]|\d{1,2}[.)])\s+")
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
SENTENCE_END = re.compile(r"[.!?…:;][»”\"’')\]]*$")  # a closing quote alone does not end prose
HEADING_MAX_WORDS = 30  # headlines run long; a line this short with no full stop is not prose


def fix_unicode(text: str) -> str:
    """Repair mojibake (``cittÃ`` -> ``città``), strip control characters, normalise to NFC."""
    import ftfy

    # Typographic quotes and apostrophes are correct Italian: keep them as written.
    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return unicodedata.normalize("NFC", text)


def is_boilerplate(line: str) -> bool:
    return len(line.split()) <= BOILERPLATE_MAX_WORDS and bool(BOILERPLATE.search(line))


def split_blocks(text: str) -> list[Block]:
    """Paragraphs, headings and list items, with whitespace collapsed and boilerplate dropped."""
    blocks: list[Block] = []
    after_related_links = False  # the list of links under a "Leggi anche:" line goes too
    for chunk in re.split(r"\n\s*\n", text):
        paragraph: list[str] = []
        for raw_line in chunk.splitlines():
            line = SPACES.sub(" ", INVISIBLE.sub("", raw_line)).strip()
            if not line:
                continue
            if is_boilerplate(line):
                after_related_links = line.endswith(":") or line.lower().startswith("leggi anche")
                continue
            bullet = BULLET.match(line)
            if bullet and after_related_links:
                continue
            after_related_links = False
            if bullet:
                if paragraph:
                    blocks.append(Block("paragraph", " ".join(paragraph)))
                    paragraph = []
                blocks.append(Block("item", line[bullet.end() :].strip()))
            else:
                paragraph.append(line)
        if paragraph:
            joined = " ".join(paragraph)
            is_heading = (
                len(paragraph) == 1
                and len(joined.split()) <= HEADING_MAX_WORDS
                and not SENTENCE_END.search(joined)
            )
            blocks.append(Block("heading" if is_heading else "paragraph", joined))
    return drop_repeats(blocks)


def normalise_for_comparison(text: str) -> str:
    return " ".join(text.casefold().split())


def drop_repeats(blocks: list[Block]) -> list[Block]:
    """CMS exports often paste a paragraph twice; keep the first copy."""
    seen: set[str] = set()
    kept = []
    for block in blocks:
        key = normalise_for_comparison(block.text)
        if block.kind == "paragraph" and key in seen:
            continue
        seen.add(key)
        kept.append(block)
    return kept


def render(blocks: list[Block]) -> str:
    """The cleaned text: blocks separated by blank lines, list items as ``- item`` lines."""
    parts: list[str] = []
    for block in blocks:
        if block.kind == "item" and parts and parts[-1].startswith("- "):
            parts[-1] += f"\n- {block.text}"
        else:
            parts.append(f"- {block.text}" if block.kind == "item" else block.text)
    return "\n\n".join(parts)


# --- sentences ------------------------------------------------------------------------------

# pysbd's Italian list misses abbreviations common in news copy, and their elided forms
# ("L'art. 3"): an abbreviation is only recognised after whitespace, so elisions need entries.
EXTRA_ABBREVIATIONS = ["pag", "pagg", "n", "nn", "dott.ssa", "prof.ssa", "avv.ssa", "sez", "ca"]
_thread_local = threading.local()
ELISIONS = [f"{article}{mark}" for article in ("l", "dell", "all", "nell", "dall", "sull") for mark in "'’"]
ELIDED_NUMBER_ABBREVIATIONS = [elision + abbr for abbr in ("art", "artt") for elision in ELISIONS]
ELIDED_TITLES = [elision + abbr for abbr in ("on", "avv", "ing", "arch", "amm") for elision in ELISIONS]


def sentence_segmenter():
    """This thread's segmenter: pysbd keeps per-call state on the object, and batch runs clean
    articles in a reader thread while translation splits sentences in the main one."""
    if hasattr(_thread_local, "segmenter"):
        return _thread_local.segmenter
    import pysbd
    from pysbd.lang.italian import Italian

    class ItalianNews(Italian):
        class Abbreviation(Italian.Abbreviation):
            ABBREVIATIONS = (
                Italian.Abbreviation.ABBREVIATIONS
                + EXTRA_ABBREVIATIONS
                + ELIDED_NUMBER_ABBREVIATIONS
                + ELIDED_TITLES
            )
            PREPOSITIVE_ABBREVIATIONS = Italian.Abbreviation.PREPOSITIVE_ABBREVIATIONS + ELIDED_TITLES
            NUMBER_ABBREVIATIONS = (
                Italian.Abbreviation.NUMBER_ABBREVIATIONS
                + ["pag", "pagg", "n", "nn"]
                + ELIDED_NUMBER_ABBREVIATIONS
            )

    segmenter = pysbd.Segmenter(language="it", clean=False)
    segmenter.language_module = ItalianNews
    _thread_local.segmenter = segmenter
    return segmenter


def split_sentences(text: str) -> list[str]:
    """Italian sentences of one paragraph (no line breaks inside)."""
    return [s.strip() for s in sentence_segmenter().segment(text) if s.strip()]


def block_sentences(blocks: list[Block]) -> list[str]:
    sentences: list[str] = []
    for block in blocks:
        if block.kind == "paragraph":
            sentences.extend(split_sentences(block.text))
        else:  # headings and list items stand as sentences of their own
            sentences.append(block.text)
    return sentences


# --- language -------------------------------------------------------------------------------


@functools.cache
def language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability, from the first few thousand characters."""
    lang, probability = language_identifier().classify(text[:5000])
    return lang, float(probability)


# --- putting it together --------------------------------------------------------------------


def make_article(
    article_id: str,
    text: str,
    *,
    title: str | None = None,
    source: str,
    strict_lang: bool = False,
    warnings: list[str] | None = None,
) -> Article:
    """Clean raw text into an Article. Without a ``title``, a headline-like first line becomes it."""
    warnings = list(warnings or [])
    if not text or not text.strip():
        raise InputError(source, "empty input")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(
            source,
            f"article too long: {len(text):,} characters (limit {MAX_ARTICLE_CHARS:,}); split it first",
        )
    blocks = split_blocks(fix_unicode(text))
    if title is None and len(blocks) > 1 and blocks[0].kind == "heading":
        title = blocks.pop(0).text
    if not blocks:
        raise InputError(source, "no article text left after cleaning (only boilerplate?)")
    body = render(blocks)
    sentences = block_sentences(blocks)
    lang, probability = detect_language(body)
    if lang != "it":
        message = f"language looks like '{lang}' (p={probability:.2f}), not Italian"
        if strict_lang:
            raise InputError(source, message)
        warnings.append(message + "; summarising anyway (use --strict-lang to refuse)")
    return Article(
        id=article_id,
        title=fix_unicode(title).strip() if title else None,
        text=body,
        sentences=sentences,
        lang=lang,
        source=source,
        warnings=warnings,
    )
