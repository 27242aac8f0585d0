"""One checkable fact, and the vocabulary that figures and names share: month and weekday words,
and the accent- and case-blind form that names and words are compared in."""

from __future__ import annotations

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
