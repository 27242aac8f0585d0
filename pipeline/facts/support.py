"""The faithfulness guard's check: is each checkable fact of a summary in its article?

A summary fact is supported when the article states the same fact after normalisation
(`itnews.facts.extract`): the same value and unit, a date that agrees on every part the summary gives, a
name whose tokens the article has. Figures are compared at the precision the summary writes them:
"circa 300" is supported by 250-350, "oltre 150" by 150-160, "quasi dieci" by 7,5-10, an unmarked
"28 milioni" by 27,5-28,5 milioni (editors round large figures), an unmarked "9" only by 9; a change
of a written digit is never supported. English summaries are checked against Italian articles
through the same values. A name is supported through its other forms (`itnews.facts.aliases`:
Florence/Firenze, francese/Francia, Onu/Nazioni Unite/UN, Kiev/Ucraina), written as the aliases
file says ("UN" only in capitals), the initials of the article's words ("Coni": Comitato Olimpico
Nazionale Italiano) or the summary's ("Israeli Air Force": Iaf), and a stem rule on words respelled
alike (Vasari/Vasariano, Medici/mediceo, Eurosceptic/euroscettico). In an English summary a name
made only of common English words is a translation that is not checked ("Golden Lion"), unless it
is one word Italian writes alike ("Apple", "Shell"), looked for among the article's capitalised
words. eval/PARAPHRASE.md measures the false alarms on real paraphrase.

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

from itnews.facts.aliases import aliases, phrase_pattern
from itnews.facts.extract import extract_facts
from itnews.facts.fact import Fact, Spans, fold
from itnews.facts.figures import figures, one_unit_durations
from itnews.facts.names import NAME_SPLIT, UPPER, lexicon, stemmer, stop_words

# A name token this frequent in the summary's language is a descriptor ("Corridor", "Comune",
# "University"), not the core of a name: translations and paraphrases change it. Zipf 4 is one
# occurrence in 10,000 words; "Gozzoli", "Altman", "Peretola" are far below it.
DESCRIPTOR_ZIPF = 4.0
STEM_PREFIX = 5  # across languages, names match on a shared prefix this long (Medici/mediceo)
# A name translated word by word keeps its Latin words, spelled as each language spells them:
# "Eurosceptic"/"euroscettico", "Biotechnology"/"biotecnologia", "Academy"/"Accademia". Both sides are
# respelled the same way before the prefix rule: Greek digraphs and letters Italian lacks, the
# consonant clusters Italian assimilates (pt, ct, ns), "z" as "s" (Assizes/Assise), then double
# letters as one.
COGNATE_SPELLINGS = (("ph", "f"), ("th", "t"), ("ch", "c"), ("ck", "c"), ("k", "c"), ("y", "i"), ("x", "s"),
                     ("w", "v"), ("h", ""), ("pt", "t"), ("ct", "t"), ("ns", "s"), ("z", "s"))  # fmt: skip
DOUBLED = re.compile(r"(.)\1+")
COGNATE_KEY = 4  # letters of a respelled word its candidates are looked up by ("rabbi" is "rabi")
DURATION_BASE = {"century": ("month", 1200), "decade": ("month", 120), "year": ("month", 12),
                 "month": ("month", 1), "week": ("second", 604_800), "day": ("second", 86_400),
                 "hour": ("second", 3_600), "minute": ("second", 60), "second": ("second", 1)}  # fmt: skip
SENTENCE = re.compile(r"\S.*?(?:[.!?…]+(?=\s|$)|$)", re.S)  # "1.200" and "S.p.A." do not end one
CAPITALISED = re.compile(rf"[{UPPER}]\w+")
CAPITALS = re.compile(rf"(?<!\w)([{UPPER}][{UPPER}0-9]+)s?(?!\w)")  # "UN", "F1", and "GPU" of "GPUs"
# A one-word name made of a common English word ("Apple", "Shell", "Meta") is checked against an
# Italian article when Italian text uses the word about as often (Zipf within this much): brands and
# loanwords, written alike in both. Translated descriptors are far rarer in Italian ("Parliament" 4.7
# vs 0, "Government" 5.6 vs 3.4, "Pope" 4.4 vs 3.4); "Shell" is 4.4 vs 3.6, "Apple" 4.8 vs 4.5.
LOANWORD_GAP = 0.9
CLAUSE_BREAK = re.compile(r"[^\w\s'’-]+")  # where an acronym's expansion ends
CLAUSE_WINDOW = 200  # characters: room for the 2 * ACRONYM_LETTERS words an expansion is read from
WORD = re.compile(r"\w+")
ACRONYM_LETTERS = 6
# An acronym as news writes it: in capitals ("CGIL"), or of 3-4 letters capitalised ("Coni", "Figc").
ACRONYM = re.compile(rf"[{UPPER}]{{3,{ACRONYM_LETTERS}}}|[{UPPER}][a-zà-ÿ]{{2,3}}")
ARTICLE_BEFORE = re.compile(
    r"(?:^|\W)(?:il|lo|la|i|gli|le|l|del|dello|della|dell|dei|degli|delle|nel|nello|nella|nell|nei|negli|"
    r"nelle|al|allo|alla|all|ai|agli|alle|dal|dallo|dalla|dall|dai|dagli|dalle|sul|sullo|sulla|sull|sui|"
    r"sugli|sulle|nostro|nostra|questo|questa)['’\s]*$",
    re.IGNORECASE,
)
IMPLICIT = "italia"  # Italian national news leaves the country implicit; "Italy's Senate" is not news


@dataclass
class Check:
    """What `check_summary` found: how many checkable facts the summary states, and which of them
    the article does not support."""

    facts: int
    unsupported: list[Fact] = field(default_factory=list)  # every mention, in the summary's order

    def to_dict(self) -> dict:
        return {"facts": self.facts, "unsupported": [f.to_dict() for f in self.unsupported]}

    def distinct(self) -> list[tuple[Fact, int]]:
        """Each unsupported fact once, as first written, with how many times the summary states it:
        a summary repeating a name 17,000 times is one line, not 17,000."""
        counts: dict[tuple, list] = {}
        for fact in self.unsupported:
            counts.setdefault((fact.kind, fact.text), [fact, 0])[1] += 1
        return [(fact, count) for fact, count in counts.values()]


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
        implicit = {IMPLICIT} if self.lang == "it" else set()
        return frozenset(fold(w) for w in CAPITALISED.findall(self.text)) | implicit

    @functools.cached_property
    def capitals(self) -> frozenset[str]:
        """Words in capitals, folded, an English plural's "s" dropped: where "UN" and "WHO" are
        looked for ("un" and "who" are common words)."""
        return frozenset(fold(w) for w in CAPITALS.findall(self.text))

    @functools.cached_property
    def name_stems(self) -> frozenset[str]:
        return frozenset(stemmer(self.lang).stemWords(list(self.capitalised)))

    @functools.cached_property
    def initialisms(self) -> frozenset[str]:
        """The initials of the words from each capitalised word on, function words skipped, up to
        a punctuation mark, 3 to ACRONYM_LETTERS letters: "Comitato Italiano Paralimpico" gives
        "cip", "Conferenza episcopale italiana" "cei"."""
        skipped = stop_words(self.lang)
        found = set()
        for clause in CLAUSE_BREAK.split(self.text):
            words = [w for w in WORD.findall(clause) if fold(w) not in skipped]
            for i, word in enumerate(words):
                if word[0].isupper():
                    initials = fold("".join(w[0] for w in words[i : i + ACRONYM_LETTERS]))
                    found.update(initials[:n] for n in range(3, len(initials) + 1))
        return frozenset(found)

    @functools.cached_property
    def by_prefix(self) -> dict[str, list[str]]:
        """Capitalised words, and words rarer than descriptors ("romagnola", not "giovane"), respelled
        (`cognate`), by their first letters."""
        prefixes: dict[str, list[str]] = {}
        common = lexicon(self.lang)
        for word in self.capitalised | {t for t in self.tokens if common.get(t, 0.0) < DESCRIPTOR_ZIPF}:
            respelled = cognate(word)
            prefixes.setdefault(respelled[:COGNATE_KEY], []).append(respelled)
        return prefixes

    @functools.cached_property
    def acronyms(self) -> frozenset[str]:
        """The acronyms the article writes ("Iaf", "Gdf", "PLD"), folded; a capitalised common word
        ("Nel", "Per") is none."""
        common, stops = lexicon(self.lang), stop_words(self.lang)
        return frozenset(
            fold(w)
            for w in WORD.findall(self.text)
            if ACRONYM.fullmatch(w) and (w.isupper() or (common.get(fold(w), 0.0) < DESCRIPTOR_ZIPF
                                                          and fold(w) not in stops))
        )  # fmt: skip


@functools.lru_cache(maxsize=64)
def article_index(text: str, lang: str) -> _Article:
    """The article's figures by kind and its words (every word, not only names: a summary may
    capitalise what the article does not), cached for the summaries of one article."""
    facts: dict[str, list[Fact]] = {}
    for fact in figures(text, lang) + one_unit_durations(text.lower()):
        facts.setdefault(fact.kind, []).append(fact)
    folded = fold(text)
    tokens = set(NAME_SPLIT.split(folded))
    tokens.update(
        key
        for first, keys in aliases().phrases.items()
        if first in tokens
        for key in keys
        if tokens.issuperset(key.split("_")) and phrase_pattern(key).search(folded)
    )
    if lang == "it":
        tokens.add(IMPLICIT)
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
    facts = [
        f
        for f in facts
        if f.kind != "name" or (_core(f, summary_lang, article_lang, cross) and not _institution(f, summary))
    ]
    facts_to_check = facts
    if trust_copied and facts:
        copied = Spans(_copied_spans(summary, article))
        facts_to_check = [f for f in facts if not copied.contain(f.start, f.end)]
    if not facts_to_check:
        return Check(len(facts))
    index = article_index(article, article_lang)
    # A fact stated again is looked up once: what decides support is all in this key (a name's
    # clause too: the words after it may spell out an acronym of the article).
    verdicts: dict[tuple, bool] = {}
    unsupported = []
    for fact in facts_to_check:
        clause = _clause_after(summary, fact.start) if fact.kind == "name" else ""
        key = (fact.kind, fact.text, fact.value, fact.unit, fact.bound, fact.step, clause)
        if key not in verdicts:
            verdicts[key] = _supported(fact, index, summary_lang, cross, clause)
        if not verdicts[key]:
            unsupported.append(fact)
    return Check(len(facts), unsupported)


def _copied_spans(summary: str, article: str) -> list[tuple[int, int]]:
    """The summary's sentences found word for word in the article, its whitespace collapsed when
    needed (an extractive summary joins sentences that a line break may separate in the article)."""
    return [
        m.span()
        for m in SENTENCE.finditer(summary)
        if m[0] in article or " ".join(m[0].split()) in flat(article)
    ]


def _supported(fact: Fact, article: _Article, lang: str, cross: bool, clause: str) -> bool:
    """``clause``: for a name, the summary's words from it to the end of its clause."""
    facts = article.facts
    if fact.kind == "name":
        acronyms = {fold(w) for w in WORD.findall(fact.text) if ACRONYM.fullmatch(w)}
        return all(
            _token_found(t, article, lang, cross, t in acronyms)
            for t in _core(fact, lang, article.lang, cross)
        ) or _spelled_out(fact, clause, article)
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


def _core(fact: Fact, lang: str, article_lang: str, cross: bool) -> list[str]:
    """The tokens of a name to look for: the known names and the words rarer than descriptors
    ("Università Statale di Milano" -> milano); in the article's language, a name made only of
    common words is looked for whole ("Monza"), while a translation may reword it ("Golden Lion"),
    unless it is one word that the article's language writes alike ("Apple")."""
    common = lexicon(lang)
    table = aliases()
    tokens = fact.value.split()
    core = [t for t in tokens if t in table.groups or common.get(t, 0.0) < DESCRIPTOR_ZIPF]
    if core or not cross:
        return core or tokens
    if len(tokens) == 1 and lexicon(article_lang).get(tokens[0], 0.0) >= common[tokens[0]] - LOANWORD_GAP:
        return tokens
    return []


def _token_found(token: str, article: _Article, lang: str, cross: bool, acronym: bool = False) -> bool:
    table = aliases()
    if cross and token not in table.groups and lexicon(lang).get(token, 0.0) >= DESCRIPTOR_ZIPF:
        return token in article.capitalised  # a common word as a name ("Apple"), not "apple" or "metà"
    if any(_form_found(form, article) for form in table.forms(token)):
        return True
    if not cross and _place_adjective(token, article):
        return True
    if acronym and token in article.initialisms:  # an acronym the article spells out: "Coni", "Cip"
        return True
    if not cross:  # the same name inflected: "Coppe Volpi" / "Coppa Volpi"
        return stemmer(article.lang).stemWord(token) in article.name_stems
    if token in table.groups or len(token) < STEM_PREFIX:  # a known name is found by its forms alone
        return False
    respelled = cognate(token)  # "rabbi" is "rabi": four letters of it must then agree
    least = max(min(STEM_PREFIX, len(respelled)), len(respelled) - 2)
    return any(  # across languages, a shared stem: Vasari/vasariano, Medici/mediceo, Francis/Francesco
        len(os.path.commonprefix((respelled, other))) >= least
        for other in article.by_prefix.get(respelled[:COGNATE_KEY], ())
    )


def cognate(word: str) -> str:
    """A folded word respelled as COGNATE_SPELLINGS say: "eurosceptic" and "euroscettico" both
    begin "euroscetic"."""
    for spelling, respelling in COGNATE_SPELLINGS:
        word = word.replace(spelling, respelling)
    return DOUBLED.sub(r"\1", word)


def _clause_after(summary: str, start: int) -> str:
    """The summary from ``start`` to the end of its clause, at most CLAUSE_WINDOW characters (the
    check stays linear in the summary's length)."""
    end = CLAUSE_BREAK.search(summary, start, start + CLAUSE_WINDOW)
    return summary[start : end.start() if end else start + CLAUSE_WINDOW]


def _spelled_out(fact: Fact, clause: str, article: _Article) -> bool:
    """A name the summary spells out where the article writes its acronym: "Israeli Air Force" for
    "Iaf", "Guardia di finanza" for "Gdf". The initials are those of the words of its clause, from
    the name on, with and without function words; the whole acronym must be spelled."""
    words = WORD.findall(clause)[: 2 * ACRONYM_LETTERS]
    skipped = function_words()
    spellings = {fold("".join(w[0] for w in words if all_words or fold(w) not in skipped))
                 for all_words in (True, False)}  # fmt: skip
    least = max(3, len(WORD.findall(fact.text)))
    return any(len(a) >= least and s.startswith(a) for a in article.acronyms for s in spellings)


@functools.cache
def function_words() -> frozenset[str]:
    """Italian and English stop words: an expansion's initials are read with and without them."""
    return stop_words("it") | stop_words("en")


def _institution(fact: Fact, summary: str) -> bool:
    """A one-word name that is a descriptor (aliases.toml) after an article or an articulated
    preposition: "nel nostro Paese" names the country by its kind, while a place takes none ("a
    Paese", the town)."""
    before = summary[max(0, fact.start - 14) : fact.start]
    return fact.value in aliases().descriptors and bool(ARTICLE_BEFORE.search(before))


def _place_adjective(token: str, article: _Article) -> bool:
    """A place and its adjective in -ese, in the article's language: "Catania"/"Catanese",
    "Novarese"/"Novara" (chosen on the paraphrase pairs, eval/PARAPHRASE.md)."""
    if token.endswith(("ese", "esi")):
        stem = token[:-3]
        return any(stem + ending in article.tokens for ending in ("a", "o", "e", "i", "ia"))
    stems = {token, token[:-1], token[:-2]} if len(token) > 4 else set()
    return any(stem + ending in article.tokens for stem in stems for ending in ("ese", "esi"))


def _form_found(form: str, article: _Article) -> bool:
    """Whether the article writes a name's form as aliases.toml says it must be written: "francese"
    in any case, "Usa" capitalised, "UN" in capitals."""
    case = aliases().case.get(form, "lower")
    if case == "lower":  # any word, or an acronym whose English plural the article writes ("GPUs")
        return form in article.tokens or form in article.capitals
    return form in (article.capitalised if case == "title" else article.capitals)
