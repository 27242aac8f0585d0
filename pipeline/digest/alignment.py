"""Figures across sources: which figures of a story's articles measure the same thing, and do the
sources agree on it?

A figure (an amount, number, percentage, duration or date, from `itnews.facts.extract`) is described by
what it is of: the content stems just before and just after it ("accordo da 38 miliardi", "il
valore dell'intesa è di 138 miliardi", "26 feriti"). Alignment has two passes:

1. agreement: a figure joins a group of other articles' figures whose values it agrees with, up
   to the rounding each source wrote ("circa 38" and "37,8"; "oltre 50 mila" and "52.300"), of a
   compatible kind and unit (a figure without its currency joins those with one), when their
   descriptions share words, or when both give the same specific value (an amount, a figure of
   three digits or more, a percentage);
2. dissent: two groups that disagree are one figure in conflict when both hold a figure from the
   lead (headline and first sentences: where a story's key figures are) and their descriptions
   share enough words. Figures of other things (a smaller investment, last year's figure) do not
   share the description, and details deep in an article are not compared across sources.

No library aligns figures by what they measure, so it is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from itnews.core.record import Record

KINDS = {
    "amount": "quantity",
    "number": "quantity",
    "percent": "percent",
    "duration": "duration",
    "date": "date",
}
BEFORE, AFTER = 4, 2  # content words read before and after a figure to say what it is of
LEAD_SENTENCES = 4  # the headline and this many first sentences hold a story's key figures
AGREE_OVERLAP = 0.2  # description overlap for agreeing figures of unspecific values ("due", "3")
DISSENT_OVERLAP = (
    0.25  # description overlap of two disagreeing groups' closest figures: one figure in conflict
)
CLOCK = re.compile(r"\d{1,2}[.:]\d{2}(?![\d.,])")  # "alle 4.12": a time of day, often in another time zone
MAX_RATIO = 20  # two values of one thing are within this factor (138 vs 38 is a typo, not 10 vs 38,000)


@dataclass
class Figure:
    article: str
    fact: object  # itnews.facts.Fact
    what: frozenset[str]
    sentence: str
    lead: bool  # in the headline or the first LEAD_SENTENCES sentences


def story_figures(records: list[Record]) -> list[Figure]:
    from itnews.facts.figures import figures
    from itnews.summarise.extractive import content_stems

    found = []
    for record in records:
        for position, sentence in enumerate([record.title or "", *record.sentences]):
            for fact in figures(sentence, "it"):
                if CLOCK.match(fact.text):
                    continue
                before = content_stems(sentence[: fact.start])[-BEFORE:]
                after = content_stems(sentence[fact.end :])[:AFTER]
                if before or after:
                    lead = position <= LEAD_SENTENCES
                    found.append(Figure(record.id, fact, frozenset(before + after), sentence, lead))
    return once_per_article(found)


def once_per_article(found: list[Figure]) -> list[Figure]:
    """An article that repeats a figure (headline, lead, body) states it once, described by all of
    its mentions: else the repeats would form groups of their own."""
    kept: dict[tuple, Figure] = {}
    for figure in found:
        key = (figure.article, figure.fact.kind, str(figure.fact.value), figure.fact.unit)
        first = kept.setdefault(key, figure)
        if first is not figure:
            first.what |= figure.what
            first.lead |= figure.lead
    return list(kept.values())


def compatible(a: Figure, b: Figure) -> bool:
    fa, fb = a.fact, b.fact
    if a.article == b.article or KINDS.get(fa.kind) != KINDS.get(fb.kind):
        return False
    if fa.unit and fb.unit and fa.unit != fb.unit:
        return False
    if fa.kind == "date":  # dates of one granularity: a year against a year, a day against a day
        return [part is None for part in fa.value] == [part is None for part in fb.value]
    low, high = sorted((abs(fa.value), abs(fb.value)))
    return low > 0 and high / low <= MAX_RATIO


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared description words over the shorter description's (paraphrases differ in length)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def specific(fact) -> bool:
    """A value unlikely to be shared by chance: an amount, three digits or more, a percentage."""
    return fact.kind in ("amount", "percent") or (fact.kind == "number" and abs(fact.value) >= 100)


def align(found: list[Figure]) -> list[list[Figure]]:
    """Groups of figures of one thing, from two or more articles, one figure per article."""
    groups: list[list[Figure]] = []
    for figure in sorted(found, key=lambda f: (not f.lead, f.article)):
        best, best_score = None, -1.0
        for group in groups:
            if not all(compatible(figure, other) and agree(figure.fact, other.fact) for other in group):
                continue
            score = overlap(figure.what, frozenset().union(*(other.what for other in group)))
            same = any(specific(figure.fact) and figure.fact.value == other.fact.value for other in group)
            if (score >= AGREE_OVERLAP or same) and score > best_score:
                best, best_score = group, score
        if best is None:
            groups.append([figure])
        else:
            best.append(figure)
    return merge_dissent(groups)


def merge_dissent(groups: list[list[Figure]]) -> list[list[Figure]]:
    """Joins disagreeing groups of the lead that describe the same thing; keeps the groups that
    span two or more articles."""

    def alike(a, b) -> float:  # the closest two descriptions, one from each group
        return max(overlap(x.what, y.what) for x in a for y in b)

    pairs = sorted(
        (
            (alike(a, b), i, j)
            for i, a in enumerate(groups)
            for j, b in enumerate(groups)
            if i < j
            and all(
                any(ch.isdigit() for f in group for ch in f.fact.text) for group in (a, b)
            )  # not "due" alone
            and any(f.lead for f in a)
            and any(f.lead for f in b)
            and not {f.article for f in a} & {f.article for f in b}
            and all(compatible(x, y) for x in a for y in b)
        ),
        reverse=True,
    )
    joined: set[int] = set()
    for score, i, j in pairs:
        if score < DISSENT_OVERLAP or i in joined or j in joined:
            continue  # two groups at most: one consensus, one dissent, so nothing unrelated is pulled in
        groups[i] = groups[i] + groups[j]
        joined |= {i, j}
        groups[j] = []
    kept = [group for group in groups if group]
    return [sorted(group, key=lambda f: f.article) for group in kept if len({f.article for f in group}) > 1]


def agree(a, b) -> bool:
    """Whether two sources' figures can be the same value, each read at the precision it was written."""
    from itnews.facts.support import values_agree

    if a.kind == "date" or b.kind == "date":
        return all(x == y or None in (x, y) for x, y in zip(a.value, b.value, strict=True))
    if not (any(ch.isdigit() for ch in a.text) and any(ch.isdigit() for ch in b.text)):
        return a.value == b.value  # "cento", "un centinaio": a count in words agrees only with itself
    return values_agree(a.value, b.value, b.bound, b.step) or values_agree(b.value, a.value, a.bound, a.step)


def classes(group: list[Figure]) -> list[list[Figure]]:
    """The group's figures split into classes that agree, largest first (the consensus)."""
    found: list[list[Figure]] = []
    for figure in sorted(group, key=lambda f: f.fact.bound != "="):  # exact figures anchor the classes
        home = next((c for c in found if all(agree(figure.fact, other.fact) for other in c)), None)
        if home is None:
            found.append([figure])
        else:
            home.append(figure)
    return sorted(
        found, key=lambda c: (len({f.article for f in c}), sum(f.fact.bound == "=" for f in c)), reverse=True
    )


def describe(group: list[Figure]) -> str:
    """What the figure is of, in the words of the first source that states it in its lead:
    "contratto da … per l'acquisto"."""
    figure = min(group, key=lambda f: (not f.lead, f.article))
    before = figure.sentence[: figure.fact.start].split()[-BEFORE:]
    after = figure.sentence[figure.fact.end :].split()[:AFTER]
    return " ".join([*before, "…", *after]).strip(" ,.;:")


def to_dict(group: list[Figure]) -> dict:
    split = classes(group)
    values = []
    for figure in group:
        same = next((v for v in values if v["text"] == figure.fact.text), None)
        if same:
            same["articles"].append(figure.article)
            continue
        value = figure.fact.value if figure.fact.kind != "date" else list(figure.fact.value)
        values.append({"text": figure.fact.text, "value": value, "unit": figure.fact.unit,
                       "articles": [figure.article], "sentence": figure.sentence,
                       "consensus": figure in split[0]})  # fmt: skip
    return {"what": describe(group), "conflict": len(split) > 1, "values": values}
