"""Checkable facts in Italian and English text: amounts, numbers, percentages, dates, durations, names.

`extract_facts(text, lang)` finds them and normalises each to a language-neutral value, so that
"38 miliardi di dollari", "38 mld $", "$38bn" and "38 billion dollars" are one fact (38e9, USD) and
an English summary can be checked against an Italian article (`itnews.facts.support.check_summary`).

Speed sets the design: the guard checks every summary, and the extractive summariser it follows
takes ~0.7-1 ms an article. Figures are found from anchors (`itnews.facts.figures`), names from one
pass of a pattern for capitalised words (`itnews.facts.names`). An article's figures take ~0.7 ms,
a 470-character summary's facts ~0.3 ms (eval/FAITHFULNESS.md has the measured cost of the whole
check).
"""

from __future__ import annotations

from itnews.facts.fact import Fact, Spans
from itnews.facts.figures import figures
from itnews.facts.names import names


def extract_facts(text: str, lang: str) -> list[Fact]:
    """All checkable facts of ``text`` (in ``lang``: "it", "en"; others get the English rules)."""
    if not text:
        return []
    named = names(text, lang)
    known = Spans((n.start, n.end) for n in named if "_" in n.value)  # "Formula 1", "G7": no figure inside
    found = [f for f in figures(text, lang) if not known.contain(f.start, f.end)]
    spans = Spans((f.start, f.end) for f in found)  # "USD" in "38 miliardi di USD" is no name
    found += [n for n in named if not spans.overlap(n.start, n.end)]
    return sorted(found, key=lambda f: f.start)
