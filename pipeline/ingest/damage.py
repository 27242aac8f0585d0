"""Replacement characters (U+FFFD): text damaged before it reached itnews.

Scraped and converted news often carries a few: an accented letter lost by an upstream decoder
("perch\ufffd"). One rule for every input kind (a file, a JSONL/CSV/Parquet row, a dataset), applied
to the text as cleaning sees it: a few are kept, with a warning that counts them; a large share is
an error record, since the text is then not text, or was decoded with the wrong encoding.
"""

from __future__ import annotations

from itnews.core.record import InputError

# Share of the non-space characters. Accented letters are at most 1.5% of a real article's non-space
# characters (news-2024: 215 ANSA and Il Post bodies) and 6.9% of a headline with its lead (Il Post,
# 11,441 items): a text that lost every accented letter stays below this and is kept, while bytes
# that were never Italian text (binary, another script decoded wrongly) are damaged nearly throughout.
MAX_REPLACEMENT_SHARE = 0.10


def check_replacement_characters(text: str, item: str, warnings: list[str]) -> None:
    """Warn about a few U+FFFD; raise InputError when they are over MAX_REPLACEMENT_SHARE."""
    count = text.count("\ufffd")
    if not count:
        return
    share = count / max(1, sum(not c.isspace() for c in text))
    characters = f"{count:,} replacement character{'s' if count > 1 else ''} (U+FFFD)"
    if share > MAX_REPLACEMENT_SHARE:
        raise InputError(
            item, f"{characters}, {share:.0%} of the text: not text, or decoded with the wrong encoding"
        )
    warnings.append(f"{characters} in the text, damaged before it was read: kept as they are")
