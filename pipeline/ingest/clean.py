"""Clean: turn a record's raw text into clean paragraphs, sentences and a detected language.

Read the file if the record still names one (`itnews.ingest.read`) -> repair mojibake and normalise
Unicode (ftfy, NFC) -> split into blocks (paragraphs, headings, list items), dropping boilerplate
lines and repeated paragraphs (`itnews.ingest.blocks`) -> segment sentences
(`itnews.ingest.sentences`) -> detect the language (`itnews.ingest.language`). `Clean` is the step.
"""

from __future__ import annotations

import unicodedata

from itnews.core.record import InputError, Record
from itnews.core.sources import file_record
from itnews.core.steps import Step
from itnews.ingest.blocks import Block, render, split_blocks
from itnews.ingest.damage import check_replacement_characters
from itnews.ingest.language import detect_language
from itnews.ingest.read import read_file
from itnews.ingest.sentences import split_sentences

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


def fix_unicode(text: str) -> str:
    """Repair mojibake (``cittÃ`` -> ``città``), strip control characters, normalise to NFC."""
    import ftfy

    # Typographic quotes and apostrophes are correct Italian: keep them as written.
    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return unicodedata.normalize("NFC", text)


def block_sentences(blocks: list[Block]) -> tuple[list[str], list[int]]:
    """The blocks' sentences, and the indexes of those that are headings."""
    sentences: list[str] = []
    headings: list[int] = []
    for block in blocks:
        if block.kind == "heading":
            headings.append(len(sentences))
        if block.kind == "paragraph":
            sentences.extend(split_sentences(block.text))
        else:  # headings and list items stand as sentences of their own
            sentences.append(block.text)
    return sentences, headings


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
    text = fix_unicode(text)
    check_replacement_characters(text, source, record.warnings)
    blocks = split_blocks(text)
    title = record.title
    if title is None and len(blocks) > 1 and blocks[0].kind == "heading":
        title = blocks.pop(0).text
    if not blocks:
        raise InputError(source, "no article text left after cleaning (only boilerplate?)")
    body = render(blocks)
    sentences, headings = block_sentences(blocks)
    lang, probability = detect_language(body)
    if lang != "it":
        message = f"language looks like '{lang}' (p={probability:.2f}), not Italian"
        if strict_lang:
            raise InputError(source, message)
        record.warnings.append(message + "; summarising anyway (use --strict-lang to refuse)")
    record.title = fix_unicode(title).strip() if title else None
    record.text, record.sentences, record.headings, record.lang = body, sentences, headings, lang
    return record


def read_article(path: str, *, strict_lang: bool = False) -> Record:
    """One article file read and cleaned (for scripts and tests); raises InputError."""
    record = file_record(path)
    read_file(record)
    return clean_record(record, strict_lang=strict_lang)
