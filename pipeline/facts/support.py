"""The faithfulness guard's check: is each checkable fact of a summary in its article?

A summary fact is supported when the article states the same fact after normalisation
(`itnews.facts.extract`): the same value and unit, a date that agrees on every part the summary gives, a
name whose tokens the article has. Figures are compared at the precision the summary writes them:
"circa 300" is supported by 250-350, "oltre 150" by 150-160, "quasi dieci" by 7,5-10, an unmarked
"28 milioni" by 27,5-28,5 milioni (editors round large figures), an unmarked "9" only by 9; a change
of a written digit is never supported. English summaries are checked against Italian articles
through the same values, and names through a table of the frequent names whose forms differ
(Florence/Firenze) and a stem rule (Vasari/Vasariano, Medici/mediceo).

Sentences copied verbatim from the article are supported by construction, so an extractive summary
costs a few substring searches and never raises a flag; `trust_copied=False` checks them fact by
fact too (the evaluation does both, eval/FAITHFULNESS.md).
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field

from itnews.facts.extract import extract_facts
from itnews.facts.fact import Fact, fold
from itnews.facts.figures import figures
from itnews.facts.names import ALIASES, GAZETTEER, NAME_SPLIT, UPPER, lexicon, stemmer

# A name token this frequent in the summary's language is a descriptor ("Corridor", "Comune",
# "University"), not the core of a name: translations and paraphrases change it. Zipf 4 is one
# occurrence in 10,000 words; "Gozzoli", "Altman", "Peretola" are far below it.
DESCRIPTOR_ZIPF = 4.0
STEM_PREFIX = 5  # across languages, names match on a shared prefix this long (Medici/mediceo)
DURATION_BASE = {"year": ("month", 12), "month": ("month", 1), "week": ("second", 604_800),
                 "day": ("second", 86_400), "hour": ("second", 3_600), "minute": ("second", 60),
                 "second": ("second", 1)}  # fmt: skip
SENTENCE = re.compile(r"\S.*?(?:[.!?…]+(?=\s|$)|$)", re.S)  # "1.200" and "S.p.A." do not end one
PHRASES = tuple(t for t in GAZETTEER if "_" in t)
CAPITALISED = re.compile(rf"[{UPPER}]\w+")


@dataclass
class Check:
    """What `check_summary` found: how many checkable facts the summary states, and which of them
    the article does not support."""

    facts: int
    unsupported: list[Fact] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"facts": self.facts, "unsupported": [f.to_dict() for f in self.unsupported]}


@dataclass
class _Article:
    facts: dict[str, list[Fact]]
    tokens: frozenset[str]
    lang: str
    text: str

    @functools.cached_property
    def capitalised(self) -> frozenset[str]:
        """The article's capitalised words, folded: where a name's inflected or translated form is
        looked for, so that a common word ("garantire") does not stand for a name ("Garante")."""
        return frozenset(fold(w) for w in CAPITALISED.findall(self.text))

    @functools.cached_property
    def name_stems(self) -> frozenset[str]:
        return frozenset(stemmer(self.lang).stemWords(list(self.capitalised)))

    @functools.cached_property
    def by_prefix(self) -> dict[str, list[str]]:
        """Capitalised words, and words rarer than descriptors ("romagnola", not "giovane"), by their
        first letters."""
        prefixes: dict[str, list[str]] = {}
        common = lexicon(self.lang)
        for word in self.capitalised | {t for t in self.tokens if common.get(t, 0.0) < DESCRIPTOR_ZIPF}:
            prefixes.setdefault(word[:STEM_PREFIX], []).append(word)
        return prefixes


@functools.lru_cache(maxsize=64)
def article_index(text: str, lang: str) -> _Article:
    """The article's figures by kind and its words (every word, not only names: a summary may
    capitalise what the article does not), cached for the summaries of one article."""
    facts: dict[str, list[Fact]] = {}
    for fact in figures(text, lang):
        facts.setdefault(fact.kind, []).append(fact)
    folded = fold(text)
    tokens = set(NAME_SPLIT.split(folded))
    tokens.update(p for p in PHRASES if p.replace("_", " ") in folded)
    if lang == "it":  # Italian national news leaves the country implicit; "Italy's Senate" is not news
        tokens.add("italia")
    return _Article(facts, frozenset(tokens), lang, text)


@functools.lru_cache(maxsize=64)
def flat(text: str) -> str:
    """Whitespace collapsed, for finding copied sentences."""
    return " ".join(text.split())


def check_summary(
    summary: str, article: str, summary_lang: str, article_lang: str = "it", *, trust_copied: bool = True
) -> Check:
    """The summary's checkable facts and those the article does not support."""
    cross = summary_lang != article_lang
    facts = extract_facts(summary, summary_lang)
    facts = [f for f in facts if f.kind != "name" or _core(f, summary_lang, cross)]
    facts_to_check = facts
    if trust_copied and facts:
        copied = _copied_spans(summary, article)
        facts_to_check = [f for f in facts if not any(s <= f.start and f.end <= e for s, e in copied)]
    if not facts_to_check:
        return Check(len(facts))
    index = article_index(article, article_lang)
    return Check(len(facts), [f for f in facts_to_check if not _supported(f, index, summary_lang, cross)])


def _copied_spans(summary: str, article: str) -> list[tuple[int, int]]:
    """The summary's sentences found word for word in the article, its whitespace collapsed when
    needed (an extractive summary joins sentences that a line break may separate in the article)."""
    return [
        m.span()
        for m in SENTENCE.finditer(summary)
        if m[0] in article or " ".join(m[0].split()) in flat(article)
    ]


def _supported(fact: Fact, article: _Article, lang: str, cross: bool) -> bool:
    facts = article.facts
    if fact.kind == "name":
        return all(_token_found(t, article, cross) for t in _core(fact, lang, cross))
    if fact.kind == "date":
        return _date_supported(fact.value, [f.value for f in facts.get("date", [])])
    if fact.kind == "duration":
        family, factor = DURATION_BASE[fact.unit]
        values = [f.value * DURATION_BASE[f.unit][1] for f in facts.get("duration", [])
                  if DURATION_BASE[f.unit][0] == family]  # fmt: skip
        return any(values_agree(a, fact.value * factor, fact.bound, fact.step * factor) for a in values)
    if fact.kind == "amount":  # an Italian article's bare "412 milioni" are euros, not dollars
        candidates = [f for f in facts.get("amount", []) if f.unit == fact.unit]
        candidates += facts.get("number", []) if fact.unit == "EUR" and article.lang == "it" else []
    elif fact.kind == "percent":
        candidates = [f for f in facts.get("percent", []) if f.unit == fact.unit]
    elif fact.kind == "ordinal":
        candidates = facts.get("ordinal", []) + facts.get("number", [])
    else:  # a bare number: "le imprese ne offrono 180" is supported by "180 euro"
        candidates = [f for kind in ("number", "amount", "percent", "duration", "ordinal")
                      for f in facts.get(kind, [])]  # fmt: skip
        candidates += [f for f in facts.get("date", []) if f.value[1:] == (None, None)]
        return any(values_agree(_numeric(f), fact.value, fact.bound, fact.step) for f in candidates)
    return any(values_agree(f.value, fact.value, fact.bound, fact.step) for f in candidates)


def _numeric(fact: Fact) -> float:
    return float(fact.value[0]) if fact.kind == "date" else fact.value


def values_agree(article_value: float, value: float, bound: str, step: float) -> bool:
    """Whether the article's figure rounds to the summary's at the summary's precision ``step``."""
    # An unmarked figure rounds only when large ("28 milioni" for 27,8 milioni); "9" is not 9,30.
    slack = max(step / 2 if bound != "=" or abs(value) >= 1000 else 0.0, abs(value) * 1e-9)
    reach = min(step, abs(value) / 4)  # "oltre 150": 150-160; "quasi dieci": 7.5-10, not 0-10
    if bound == ">":
        return value - slack <= article_value <= value + reach + slack
    if bound == "<":
        return value - reach - slack <= article_value <= value + slack
    return math.isclose(article_value, value, abs_tol=slack)


def _date_supported(value: tuple, dates: list[tuple]) -> bool:
    """A date agrees with one of the article's on each part both give, and its year is there."""
    year, month, day = value

    def agrees(other: tuple) -> bool:
        if month is None and day is None:
            return other[0] == year
        return (
            (month is None or other[1] == month)
            and (day is None or other[2] == day)
            and (year is None or other[0] in (None, year))
        )

    return any(agrees(d) for d in dates) and (year is None or any(d[0] == year for d in dates))


def _core(fact: Fact, lang: str, cross: bool) -> list[str]:
    """The tokens of a name to look for: the known names and the words rarer than descriptors
    ("Università Statale di Milano" -> milano); in the article's language, a name made only of
    common words is looked for whole ("Monza"), while a translation may reword it ("Golden Lion")."""
    common = lexicon(lang)
    tokens = fact.value.split()
    core = [t for t in tokens if t in GAZETTEER or common.get(t, 0.0) < DESCRIPTOR_ZIPF]
    return core or ([] if cross else tokens)


def _token_found(token: str, article: _Article, cross: bool) -> bool:
    if token in article.tokens or any(t in article.tokens for t in ALIASES.get(token, ())):
        return True
    if not cross:  # the same name inflected: "Coppe Volpi" / "Coppa Volpi"
        return stemmer(article.lang).stemWord(token) in article.name_stems
    return any(  # across languages, a shared stem: Vasari/vasariano, Medici/mediceo, Francis/Francesco
        len(os.path.commonprefix((token, other))) >= max(STEM_PREFIX, len(token) - 2)
        for other in article.by_prefix.get(token[:STEM_PREFIX], ())
    )
