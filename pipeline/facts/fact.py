"""One checkable fact, and the vocabulary that figures and names share: month and weekday words,
and the accent- and case-blind form that names and words are compared in."""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from dataclasses import dataclass

MONTHS = {
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"),
}  # fmt: skip
MONTH_ABBREVIATIONS = {m[:3]: i + 1 for i, m in enumerate(MONTHS["en"])} | {"sept": 9}  # English only
MONTH_NUMBER = {m: i + 1 for months in MONTHS.values() for i, m in enumerate(months)} | MONTH_ABBREVIATIONS
WEEKDAYS = frozenset({"lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica", "monday",
                      "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})  # fmt: skip
COMBINING = re.compile(r"[\u0300-\u036f]+")


@dataclass(frozen=True)
class Fact:
    """One checkable fact. ``value`` is language-neutral: a float (amounts in units, not millions),
    a (year, month, day) tuple with None for missing parts, or a name key (casefolded, unaccented
    tokens). ``step`` is the place value of the last significant digit as written, times the scale:
    the figure's rounding unit. ``approx`` is True when a marker ("circa", "oltre", "nearly") bounds it."""

    text: str
    kind: str  # amount, number, percent, date, duration, ordinal, name
    value: float | tuple | str
    unit: str | None = None  # "EUR"/"USD"/"GBP", "%" or "pp", a duration unit ("year", "hour", ...)
    approx: bool = False
    start: int = 0
    end: int = 0
    bound: str = "="  # "=" as written, "~" about, ">" at or just above, "<" at or just below
    step: float = 0.0

    def to_dict(self) -> dict:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"text": self.text, "kind": self.kind, "value": value, "unit": self.unit}


def fold(text: str) -> str:
    """Casefolded, accents stripped: "Pogačar" and "POGACAR" compare equal."""
    text = text.casefold()
    return text if text.isascii() else COMBINING.sub("", unicodedata.normalize("NFKD", text))


class Spans:
    """Character spans, asked whether they contain or overlap another in O(log n): a summary of
    thousands of facts is checked in linear time, not facts x spans."""

    def __init__(self, spans):
        ordered = sorted(spans)
        self.starts = [start for start, _ in ordered]
        self.reach = list(itertools.accumulate((end for _, end in ordered), max))  # furthest end so far

    def contain(self, start: int, end: int) -> bool:
        """Whether a span holds [start, end]: among those starting at or before it, one ends past it."""
        i = bisect.bisect_right(self.starts, start)
        return i > 0 and self.reach[i - 1] >= end

    def overlap(self, start: int, end: int) -> bool:
        """Whether a span shares a character with [start, end)."""
        i = bisect.bisect_left(self.starts, end)
        return i > 0 and self.reach[i - 1] > start
