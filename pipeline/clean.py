"""Clean: turn a record's raw text into clean paragraphs, sentences and a detected language.

Repair mojibake and normalise Unicode (ftfy, NFC) -> split into blocks (paragraphs, headings, list
items), dropping boilerplate lines and repeated paragraphs -> segment sentences (`itnews.sentences`)
-> detect the language (py3langid). `Clean` is the step; file records are read first (`itnews.ingest`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from itnews.ingest import read_file
from itnews.record import InputError, Record
from itnews.sentences import split_sentences
from itnews.steps import Step

MAX_ARTICLE_CHARS = 200_000  # ~30,000 words: anything longer is a dump of many articles, not one


class Clean(Step):
    """Reads file records, then cleans every record's text. Per record: an unreadable or unusable
    one becomes an error record saying why."""

    timing_key = "clean_s"

    def __init__(self, strict_lang: bool = False):
        self.strict_lang = strict_lang

    def process(self, records: list[Record]) -> None:
        for record in records:
            try:
                if record.path is not None:
                    read_file(record)
                clean_record(record, strict_lang=self.strict_lang)
            except InputError as err:
                record.fail(err.item, err.reason)
            except Exception as err:  # a bug on one record must not stop the others
                record.fail(record.source, f"internal error: {type(err).__name__}: {err}")


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


def clean_record(record: Record, *, strict_lang: bool = False) -> Record:
    """Clean ``record.text`` in place. Without a title, a headline-like first line becomes it."""
    text, source = record.text, record.source
    if not text or not text.strip():
        raise InputError(source, "empty input")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(
            source,
            f"article too long: {len(text):,} characters (limit {MAX_ARTICLE_CHARS:,}); split it first",
        )
    blocks = split_blocks(fix_unicode(text))
    title = record.title
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
        record.warnings.append(message + "; summarising anyway (use --strict-lang to refuse)")
    record.title = fix_unicode(title).strip() if title else None
    record.text, record.sentences, record.lang = body, sentences, lang
    return record
