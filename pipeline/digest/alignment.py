"""Figures across sources: which figures of a story's articles measure the same thing, do the
sources agree on it, and how did it change from one day to the next?

A figure (an amount, number, percentage, duration or date, from `itnews.facts.figures`) is described
by what it is of: the content stems just before and just after it ("accordo da 38 miliardi", "il
valore dell'intesa è di 138 miliardi", "26 feriti"), and, for a count, the noun it counts ("26
feriti", "100 obiettivi"). Alignment has two passes:

1. agreement: a figure joins a group of other articles' figures whose values it agrees with, up
   to the rounding each source wrote ("circa 38" and "37,8"; "oltre 50 mila" and "52.300"), of a
   compatible kind and unit (a figure without its currency joins those with one) and counted noun
   ("un centinaio di chilometri" is not "100 obiettivi"), when their descriptions share words, or
   when both give the same specific value (an amount, a figure of three digits or more, a percentage);
2. dissent and development: two groups that disagree are one figure when both hold a figure from
   the lead (headline and first sentences: where a story's key figures are) and their descriptions
   share enough words: a dissent when they have figures of one time (one dissent per group), a
   development when they do not and count the same thing (any number of days). Figures of other
   things (a smaller investment, last year's figure) do not share the description, and details
   deep in an article are not compared across sources.

A figure's time is the day its article was published, or a day its sentence states ("il 23
settembre"). Values of one figure at different times are a development ("274 persone uccise" on
Monday, "558" on Tuesday): its updates go to the story's timeline. Sources that disagree at one
time are a conflict. An undated figure is compared with all.

No library aligns figures by what they measure, so it is written here.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import Counter
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
DISSENT_OVERLAP = 0.25  # description overlap of two disagreeing groups' closest figures: one figure
CLOCK = re.compile(r"\d{1,2}[.:]\d{2}(?![\d.,])")  # "alle 4.12": a time of day, often in another time zone
MAX_RATIO = 20  # two values of one thing are within this factor (138 vs 38 is a typo, not 10 vs 38,000)
SMALL = 10  # counts below it ("due", "tre", "6"), undisputed, are too common to tell the reader anything
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Between a count and what happened to what it counts: "274 persone sono state uccise".
AUXILIARIES = frozenset({"sono", "è", "stati", "state", "stato", "stata", "erano", "era", "sarebbero"})
PARTICIPLE = re.compile(r"\w{3,}(?:at|it|ut|ess|ott|is|ars|ers)[aeio]")  # colpiti, uccise, fuggiti, persi
VERB_FORM = re.compile(rf"{PARTICIPLE.pattern}|\w+(?:ando|endo)")  # not what a figure measures: "avvicinando"
PREPOSITIONS = frozenset({"di", "del", "della", "dello", "dei", "degli", "delle", "a", "al", "alla", "allo",
                          "ai", "agli", "alle", "da", "dal", "dalla", "dai", "dagli", "dalle"})  # fmt: skip
QUALIFIERS = frozenset({"nuovi", "nuove", "altri", "altre", "diversi", "diverse"})
GENERIC = frozenset({"persone"})  # "19 persone" may be "9 morti" or "26 feriti": no measure of its own
# "negli ultimi due giorni", "nelle ultime 24 ore": a window another figure is counted in, not a measure.
TIME_ADJECTIVES = frozenset({"ultimi", "ultime", "scorsi", "scorse", "prossimi", "prossime"})


@dataclass
class Figure:
    article: str
    fact: object  # itnews.facts.Fact
    what: frozenset[str]
    sentence: str
    lead: bool  # in the headline or the first LEAD_SENTENCES sentences
    counts: bool  # a count of a noun it names: "26 feriti", "558 persone"
    measures: frozenset[str]  # stems of what a count counts and what happened to it: {"obiett", "colp"}
    label: str  # what it measures, in the source's words: "obiettivi colpiti", "valore"
    time: datetime.date | None  # the day it refers to: stated in its sentence, else its article's
    window: bool  # a duration that is the window of another figure: "nelle ultime 24 ore"


def published(record: Record) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((record.published or "")[:10])
    except ValueError:
        return None


def story_figures(records: list[Record]) -> list[Figure]:
    from itnews.facts.figures import figures
    from itnews.summarise.extractive import content_stems

    found = []
    for record in records:
        day = published(record)
        for position, sentence in enumerate([record.title or "", *record.sentences]):
            facts = figures(sentence, "it")
            stated = stated_day(facts, day)
            for fact in facts:
                if CLOCK.match(fact.text) or (fact.kind != "date" and of_past_year(facts, day)):
                    continue
                before = content_stems(sentence[: fact.start])[-BEFORE:]
                after = content_stems(sentence[fact.end :])[:AFTER]
                if before or after:
                    lead = position <= LEAD_SENTENCES
                    counts, measures, label = measure(sentence, fact)
                    time = day if fact.kind == "date" else stated or day
                    what = frozenset(before + after)
                    window = fact.kind == "duration" and bool(
                        TIME_ADJECTIVES & set(sentence[: fact.start].split()[-2:])
                    )
                    found.append(
                        Figure(record.id, fact, what, sentence, lead, counts, measures, label, time, window)
                    )
    return once_per_article(found)


def stated_day(facts: list, published_on: datetime.date | None) -> datetime.date | None:
    """A day and month the sentence states, in the publication's year: the day its figures are of.
    A day after publication is another event's anniversary or a plan ("il 7 ottobre"), not this one."""
    for fact in facts:
        if fact.kind != "date" or None in fact.value[1:]:
            continue
        year = fact.value[0] or (published_on.year if published_on else None)
        try:
            day = datetime.date(year, fact.value[1], fact.value[2]) if year else None
        except ValueError:
            continue
        if day and (published_on is None or day <= published_on):
            return day
    return None


def of_past_year(facts: list, published_on: datetime.date | None) -> bool:
    """Whether the sentence states a year before its publication's: its figures are background ("nel
    2006 il numero dei morti fu di oltre 1.000"), not the story's."""
    return published_on is not None and any(
        f.kind == "date" and f.value[0] is not None and f.value[0] < published_on.year for f in facts
    )


def measure(sentence: str, fact) -> tuple[bool, frozenset[str], str]:
    """What a figure measures: whether it counts a noun it names; the stems of that noun and of what
    happened to it, read after the figure or just before it ("100 obiettivi colpiti", "15 sono state
    ferite", "uccise più di 700 persone": {obiett, colp}, {ferit}, {uccis}); and its label, in the
    source's words: the counted noun and what happened to it, else the nearest noun before it
    ("valore", "affluenza", "incasso")."""
    from itnews.summarise.extractive import content_stems

    stop = stop_words()
    clause_after = re.split(r"[,;:.!?()«»\"“”–—]", sentence[fact.end : fact.end + 80])[0]
    # names stay capitalised: "100 obiettivi Hezbollah colpiti" counts obiettivi, not Hezbollah
    after = [w if w[:1].isupper() else w.lower() for w in WORD.findall(clause_after)]
    if after and after[0] == "di" and fact.text[-1:].isalpha():  # "un centinaio di chilometri"
        after.pop(0)
    if after and after[0] in QUALIFIERS:  # "90mila nuovi sfollati"
        after.pop(0)
    counted = bool(fact.kind == "number" and after and after[0].islower() and after[0] not in stop)
    rest = after[int(counted) : int(counted) + 3]
    helped = bool(rest) and rest[0] in AUXILIARIES  # "15 sono state ferite", not "2.100, ospitati"
    rest = [w for w in rest if w not in AUXILIARIES][: int(counted or helped)]
    happened = next((w for w in rest if PARTICIPLE.fullmatch(w)), None)
    before = [
        w for w in WORD.findall(sentence[max(0, fact.start - 30) : fact.start].lower()) if w not in stop
    ]
    done_before = before[-1] if before and PARTICIPLE.fullmatch(before[-1]) else None
    noun = after[0] if counted else None
    words = [w for w in (noun, happened or done_before) if w and w not in GENERIC]
    measures = frozenset(content_stems(" ".join(words)))  # "uccise" and "ucciso" are one stem
    if noun is None:
        noun = head_noun(re.split(r"[,;:()«»\"“”–—]", sentence[: fact.start])[-1], stop)
    return counted, measures, " ".join(w for w in (noun, happened) if w)


def head_noun(clause: str, stop: frozenset[str]) -> str | None:
    """The noun nearest the end of the clause, or the one its phrase hangs from: "danni" in "i danni
    alle piste sono stimati in", "valore" in "il valore dell'intesa è di"."""
    words = [re.split(r"['’]", w.lower()) for w in WORD.findall(clause)]  # "dell'intesa": ["dell", "intesa"]

    def noun(word: list[str]) -> bool:
        return word[-1] not in stop and not VERB_FORM.fullmatch(word[-1])

    nouns = [i for i, w in enumerate(words) if noun(w)]
    if not nouns:
        return None
    k = nouns[-1]
    while True:
        if len(words[k]) > 1 and k >= 1 and noun(words[k - 1]):  # "valore dell'intesa"
            k -= 1
        elif k >= 2 and words[k - 1][-1] in PREPOSITIONS and noun(words[k - 2]):  # "danni alle piste"
            k -= 2
        else:
            return words[k][-1]


@functools.cache
def stop_words() -> frozenset[str]:
    """Italian stop words (the guard's list, `itnews.facts.names.stop_words`), the time adjectives, the
    approximation markers and the words of currencies and scales, less "persone": people are what news
    counts most."""
    from itnews.facts import names
    from itnews.facts.figures import APPROX_MARKERS, CURRENCIES, SCALES

    markers = {word for marker in APPROX_MARKERS for word in marker.split()}  # "circa", "almeno"
    figure_words = set(CURRENCIES) | set(SCALES)  # "miliardi di dollari": part of another figure
    return names.stop_words("it") - {"persone"} | TIME_ADJECTIVES | AUXILIARIES | markers | figure_words


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
            first.measures |= figure.measures
            first.counts |= figure.counts
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


def same_measure(a: list[Figure], b: list[Figure]) -> bool:
    """Counts of one thing share the words of what they count where both say it ("108 voti", "108
    sì", "118 voti" share "voti"; "100 obiettivi" and "un centinaio di chilometri" share nothing;
    "274 persone uccise" and "15 sono state ferite" neither)."""
    words_a, words_b = (frozenset().union(*(f.measures for f in group)) for group in (a, b))
    return not (words_a and words_b) or bool(words_a & words_b)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared description words over the shorter description's (paraphrases differ in length)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def specific(fact) -> bool:
    """A value unlikely to be shared by chance: an amount, three digits or more, a percentage."""
    return fact.kind in ("amount", "percent") or (fact.kind == "number" and abs(fact.value) >= 100)


def align(found: list[Figure], copies: dict[str, list[str]]) -> list[list[Figure]]:
    """Groups of figures of one thing, from two or more articles (an article counting its
    ``copies``: one text republished by several outlets is several sources), one figure per article."""
    groups: list[list[Figure]] = []
    for figure in sorted(found, key=lambda f: (not f.lead, f.article)):
        best, best_score = None, -1.0
        for group in groups:
            if not all(compatible(figure, other) and agree(figure.fact, other.fact) for other in group):
                continue
            if not same_measure([figure], group):
                continue
            score = overlap(figure.what, frozenset().union(*(other.what for other in group)))
            same = any(specific(figure.fact) and figure.fact.value == other.fact.value for other in group)
            if (score >= AGREE_OVERLAP or same) and score > best_score:
                best, best_score = group, score
        if best is None:
            groups.append([figure])
        else:
            best.append(figure)
    return merge_dissent(groups, copies)


def merge_dissent(groups: list[list[Figure]], copies: dict[str, list[str]]) -> list[list[Figure]]:
    """Joins disagreeing groups of the lead that describe the same thing, the closest first: a
    dissent (one per group: a consensus and a dissent) when they have figures of one time, a
    development (any number) when they do not and count the same thing. Keeps the groups that span
    two or more articles."""

    def alike(a, b) -> float:  # the closest two descriptions, one from each group
        return max(overlap(x.what, y.what) for x in a for y in b)

    def written_in_digits(group) -> bool:  # not "due" alone
        return any(ch.isdigit() for f in group for ch in f.fact.text)

    pairs = sorted(
        (
            (alike(a, b), i, j)
            for i, a in enumerate(groups)
            for j, b in enumerate(groups)
            if i < j
            and written_in_digits(a)
            and written_in_digits(b)
            and not all(small_count(f.fact) for f in a + b)  # "2" and "6": one figure by chance
            and any(f.lead for f in a)
            and any(f.lead for f in b)
            and not {f.article for f in a} & {f.article for f in b}
            and all(compatible(x, y) for x in a for y in b)
            and same_measure(a, b)
            and (a[0].fact.kind != "date" or a[0].fact.value[2] is None)  # another day: another event
        ),
        reverse=True,
    )
    home = list(range(len(groups)))  # where each group has been joined
    disputed: set[int] = set()  # groups that took in a dissenting group: one at most, nothing unrelated
    for score, i, j in pairs:
        i, j = home[i], home[j]
        if score < DISSENT_OVERLAP or i == j:
            continue
        a, b = groups[i], groups[j]
        if same_time(a, b):
            if i in disputed or j in disputed or {f.article for f in a} & {f.article for f in b}:
                continue
            disputed.add(i)
        elif not develops(a, b):
            continue
        groups[i], groups[j] = a + b, []
        home = [i if h == j else h for h in home]
    kept = [group for group in groups if group]
    sources = [sum(len(copies[article]) for article in {f.article for f in group}) for group in kept]
    return [sorted(group, key=lambda f: f.article) for group, n in zip(kept, sources, strict=True) if n > 1]


def same_time(a: list[Figure], b: list[Figure]) -> bool:
    """Whether two groups have figures of one time (an undated one is of every time)."""
    times_a, times_b = ({f.time for f in group} for group in (a, b))
    return None in times_a | times_b or bool(times_a & times_b)


def develops(a: list[Figure], b: list[Figure]) -> bool:
    """Whether two groups are one count at other times: both say what they count, in shared words,
    and neither has a figure of the other's times ("274 persone uccise" Monday, "558" Tuesday)."""
    words_a, words_b = (frozenset().union(*(f.measures for f in group)) for group in (a, b))
    return (
        bool(words_a & words_b)
        and not same_time(a, b)
        and not {f.article for f in a} & {f.article for f in b}
    )


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


def at_time(group: list[Figure], figure: Figure) -> list[Figure]:
    """The group's figures of the same time as ``figure`` (undated ones are of every time)."""
    return [f for f in group if None in (f.time, figure.time) or f.time == figure.time]


def at_odds(group: list[Figure], figure: Figure) -> list[Figure]:
    """The figures of the group that disagree with ``figure`` about the same time."""
    return [f for f in at_time(group, figure) if not agree(f.fact, figure.fact)]


def disputing(group: list[Figure], figure: Figure) -> list[Figure]:
    """The figures that dispute ``figure``: those that disagree with it about its time, or about a
    time on which the sources disagree ("38 miliardi" on Tuesday; "138" against "38" on Monday)."""
    contested = {f.time for f in group if at_odds(group, f)}
    return [
        f
        for f in group
        if not agree(f.fact, figure.fact) and (f.time in contested or f in at_time(group, figure))
    ]


def in_conflict(group: list[Figure]) -> bool:
    return any(at_odds(group, figure) for figure in group)


def updates(group: list[Figure]) -> list[tuple[Figure, Figure]]:
    """(earlier, later) pairs where the figure changed since the time before: a development. The
    later figure is undisputed at its time and agrees with none of the consensus of the time before
    ("558" Tuesday, "quasi 600" Wednesday is no update; a dissent is a conflict, not an update)."""
    ranked = classes(group)
    times = sorted({f.time for f in group if f.time})
    changed = []
    for previous, time in zip(times, times[1:], strict=False):
        earlier = [f for f in group if f.time == previous and in_consensus(group, f, ranked)]
        for later in (f for f in group if f.time == time and not at_odds(group, f)):
            if not any(agree(e.fact, later.fact) for e in earlier):
                changed.append((earlier[0], later))
    return changed


def dissenting(group: list[Figure]) -> list[Figure]:
    """The figures of a conflict outside the consensus of their time."""
    ranked = classes(group)
    return [f for f in group if not in_consensus(group, f, ranked)] if in_conflict(group) else []


def in_consensus(group: list[Figure], figure: Figure, ranked: list[list[Figure]]) -> bool:
    """Whether ``figure`` is of the agreeing class (of ``ranked``, `classes`) most sources give among
    the classes of its time's figures: a developing figure's latest value is the consensus of its day."""

    def rank(one: Figure) -> int:
        return next(i for i, c in enumerate(ranked) if any(one is f for f in c))

    return rank(figure) == min(rank(f) for f in at_time(group, figure))


def small_count(fact) -> bool:
    """A whole number below SMALL: "due", "6" (not "1,38 gigawatt")."""
    return fact.kind == "number" and abs(fact.value) < SMALL and fact.value == int(fact.value)


def informative(group: list[Figure]) -> bool:
    """Worth a reader's look: an amount, a percentage, a duration, or a count of something of ten
    or more; a year, a date or a small bare number ("due", "tre") only when sources dispute it."""
    kind = group[0].fact.kind
    if all(f.window for f in group):
        return False
    if kind in ("date", "ordinal") or (kind == "number" and not any(f.counts for f in group)):
        return in_conflict(group)
    if all(small_count(f.fact) for f in group):
        return in_conflict(group)
    return True


def describe(group: list[Figure]) -> str:
    """What the figure is of, in the words of the first source that states it in its lead:
    "contratto da … per l'acquisto"."""
    figure = min(group, key=lambda f: (not f.lead, f.article))
    before = figure.sentence[: figure.fact.start].split()[-BEFORE:]
    after = figure.sentence[figure.fact.end :].split()[:AFTER]
    return " ".join([*before, "…", *after]).strip(" ,.;:")


def label(group: list[Figure]) -> str:
    """What the figure measures, in the words most of its sources use: "persone uccise"."""
    labels = Counter(f.label for f in group if f.label)
    if not labels:
        return describe(group)

    def votes(name: str) -> int:  # "persone uccise" has the votes of "persone" too
        return sum(count for other, count in labels.items() if name.startswith(other))

    return max(labels, key=votes)


def to_dict(group: list[Figure], copies: dict[str, list[str]]) -> dict:
    """The figure as the JSON output gives it, its values in date order, each figure's article
    standing for its ``copies`` (the ids of the copies of its text that day). Where sources conflict,
    ``consensus`` marks the values `in_consensus` at their time; otherwise every value."""
    conflict = in_conflict(group)
    ranked = classes(group)
    values: list[dict] = []
    for figure in group:
        date = figure.time.isoformat() if figure.time else None
        same = next((v for v in values if v["text"] == figure.fact.text and v["date"] == date), None)
        if same:
            same["articles"] += copies[figure.article]
            continue
        value = figure.fact.value if figure.fact.kind != "date" else list(figure.fact.value)
        values.append({"text": figure.fact.text, "value": value, "unit": figure.fact.unit,
                       "articles": list(copies[figure.article]), "sentence": figure.sentence, "date": date,
                       "consensus": not conflict or in_consensus(group, figure, ranked)})  # fmt: skip
    values.sort(key=lambda v: (v["date"] or "", not v["consensus"]))
    return {"what": describe(group), "label": label(group), "kind": group[0].fact.kind, "conflict": conflict,
            "values": values}  # fmt: skip
