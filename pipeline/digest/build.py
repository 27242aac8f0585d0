"""`itnews digest`: many outlets' articles in, one story each out, with the figures they disagree on.

Cleaned records (`Clean`, run by the local runner) are grouped into stories (`itnews.digest.stories`).
Each story gets:

- a headline: the most central of its articles' titles (TF-IDF cosine to the story's centroid),
  else its best sentence, shortened;
- an extractive summary drawn from all its sources: sentences chosen by how central they are to
  the story and where they stand in their article, skipping any that paraphrase a chosen one or
  state a figure a chosen one states, up to the ``--words`` target. Each sentence is its article's
  own, words and figures unchanged, and names its article; where other sources disagree with a
  figure it states, ``disputed`` says so beside it. With a seq2seq model, the model summarises those
  sentences instead. A translator gives English;
- its figures aligned across sources (`itnews.digest.alignment`), the informative ones kept: amounts,
  percentages, durations, counts of something (a year, a date, a bare "due" only when disputed),
  with ``conflict`` where sources disagree at one time beyond rounding;
- a timeline: per day and outlet, its articles, the figures that changed since an earlier day and
  the figures first given that day.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from itnews.core.record import Record
from itnews.digest import alignment

POSITION_WEIGHT = 0.1  # a lead sentence's edge over a late one of equal centrality (eval/DIGEST.md)
REDUNDANCY = 0.3  # cosine above which a candidate repeats a chosen sentence
MIN_WORDS = 6  # headings and datelines are poor summary sentences
HEADLINE_WORDS = 14  # a sentence made headline is cut to this many words (titles: 8-15 words)


@dataclass
class Story:
    story_id: str
    title: str | None  # the first article's title
    headline: str  # the most central title, else the best sentence shortened
    articles: list[str]
    sources: list[str]
    summary_it: str | None
    summary_en: str | None = None
    # {"text", "article", "disputed": [{"stated", "label", "others": [{"text", "date", "articles"}]}]}
    sentences: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    # {"date", "outlet", "articles", "titles", "updates": [{"label", "before", "after"}], "new"}
    timeline: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Not an output: each article standing for copies of its text published the same day, with their
    # ids (itself first). Only these are aligned, ranked and checked against.
    copies: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        values = asdict(self)
        for name in NOT_OUTPUT:
            del values[name]
        return values


NOT_OUTPUT = ("copies",)
STORY_KEYS = tuple(f.name for f in fields(Story) if f.name not in NOT_OUTPUT)  # a line of `digest --out`


@dataclass
class Candidates:
    """A story's sentences that may go in its summary, ranked."""

    sentences: list[tuple[int, int, str, str]]  # (position, article order, sentence, article id)
    scores: list[float]  # centrality and position
    similarity: object  # numpy matrix of cosines between the sentences
    headline: str


def outlet(record: Record) -> str:
    """Who published it: the outlet field, else the file the record came from."""
    return record.outlet or Path(re.sub(r":\d+$", "", record.source)).name


def build_stories(records: list[Record], words: int) -> list[Story]:
    from itnews.digest.stories import group, near_duplicates

    first = near_duplicates(records)
    return [
        build_story(f"story-{number:03d}", [records[i] for i in members], words, [first[i] for i in members])
        for number, members in enumerate(group(records, first=first), 1)
    ]


def build_story(story_id: str, articles: list[Record], words: int, texts: list | None = None) -> Story:
    """One story of ``articles``: ``texts[k]`` names the text article k publishes (the same for
    near-duplicate copies; default: each its own), so that copies of a day are aligned once."""
    outlets = {record.id: outlet(record) for record in articles}
    copies = republished(articles, list(range(len(articles))) if texts is None else texts)
    distinct = [a for a in articles if a.id in copies]
    groups = alignment.align(alignment.story_figures(distinct), copies)
    shown = [g for g in groups if alignment.informative(g)]
    titles = {a.id: a.title for a in distinct}
    dissent = {f.article for g in groups for f in alignment.dissenting(g) if f.sentence == titles[f.article]}
    candidates = rank(distinct, dissent)
    sentences = [
        {"text": text, "article": article, "disputed": disputed(text, article, groups)}
        for text, article in choose_sentences(candidates, words, groups)
    ]
    return Story(
        story_id=story_id,
        title=articles[0].title,
        headline=candidates.headline,
        articles=[a.id for a in articles],
        sources=list(dict.fromkeys(outlets[a.id] for a in articles)),
        summary_it=" ".join(s["text"] for s in sentences),
        sentences=sentences,
        figures=[alignment.to_dict(g, copies) for g in shown],
        timeline=timeline(articles, shown, outlets, copies),
        warnings=article_warnings(articles),
        copies=copies,
    )


def republished(articles: list[Record], texts: list) -> dict[str, list[str]]:
    """The story's articles that stand for the copies of one text published on one day, with the ids
    of those copies: a figure's alignment across mentions grew with the square of its copies (2,000
    copies of one agency text did not finish in 5 minutes), and copies add no other source's view.
    A copy of another day stays an article of its own: its figures may be that day's."""
    standing: dict[tuple, str] = {}
    copies: dict[str, list[str]] = {}
    for record, text in zip(articles, texts, strict=True):
        original = standing.setdefault((text, alignment.published(record)), record.id)
        copies.setdefault(original, []).append(record.id)
    return copies


def article_warnings(articles: list[Record]) -> list[str]:
    """The story's articles' own warnings (not Italian, damaged text), each once with the articles it
    is about: a story of many copies of one text has one line, not one per copy."""
    about: dict[str, list[str]] = {}
    for article in articles:
        for warning in article.warnings:
            about.setdefault(warning, []).append(article.id)
    return [
        f"{ids[0]}{f' and {len(ids) - 1} more' if len(ids) > 1 else ''}: {warning}"
        for warning, ids in about.items()
    ]


def summarise_stories(stories: list[Story], records: list[Record], steps: list) -> None:
    """The summary steps (`summary_steps`) on each story: a seq2seq model summarises the story's
    chosen sentences, where the extractive summariser's work is the choice itself; then the
    translation, the languages kept and the faithfulness guard against all the story's articles."""
    from itnews.core.steps import apply
    from itnews.summarise.steps import Summarise

    # Run-wide notices (no model downloaded, no translator) are said once per story: the copies that
    # articles summarised by the same run carry (`itnews watch` stores them) are dropped.
    run_wide = steps[0].notices if steps and isinstance(steps[0], Summarise) else []
    for story in stories:
        story.warnings = [w for w in story.warnings if not w.endswith(tuple(f": {n}" for n in run_wide))]
    notices: list[str] = []
    if steps and isinstance(steps[0], Summarise) and steps[0].model is None:
        notices, steps = run_wide, steps[1:]
    texts = {record.id: record.text for record in records}
    pseudo = [
        Record(
            id=story.story_id,
            source=story.story_id,
            title=story.headline,
            text="\n\n".join(texts[article] for article in story.copies),  # each text once
            sentences=[sentence["text"] for sentence in story.sentences],
            lang="it",
            summary_it=story.summary_it,
        )
        for story in stories
    ]
    for story, record in zip(stories, apply(steps, pseudo), strict=True):
        if not record.ok:
            story.warnings.append(record.error)
            continue
        story.summary_it, story.summary_en = record.summary_it, record.summary_en
        story.warnings += notices + record.warnings


def rank(articles: list[Record], dissent: set[str]) -> Candidates:
    """The story's summary candidates scored by centrality (TF-IDF cosine to their centroid) and
    position, and its headline: the title closest to that centroid, else the best sentence. A title
    whose figure the other sources dispute (of an article in ``dissent``: "62 feriti" where the
    others say 26) is the headline only when no other title is."""
    import numpy as np

    from itnews.summarise.extractive import content_stems, word_count

    sentences = [
        (position, order, sentence, article.id)
        for order, article in enumerate(articles)
        for position, sentence in enumerate(article.sentences)
        if word_count(sentence) >= MIN_WORDS and position not in article.headings
    ] or [(0, order, a.sentences[0], a.id) for order, a in enumerate(articles) if a.sentences][:1]
    titled = [a for a in articles if a.title and a.title.strip()]
    titles = [a.title.strip() for a in [a for a in titled if a.id not in dissent] or titled]
    stems = [content_stems(s[2]) for s in sentences]
    vocabulary = {term: i for i, term in enumerate(sorted({t for row in stems for t in row}))}
    if not vocabulary:  # no sentence, or no content word at all
        headline = titles[0] if titles else shorten(sentences[0][2]) if sentences else ""
        return Candidates(sentences[:1], [1.0] * len(sentences[:1]), np.ones((1, 1)), headline)
    vectors = tfidf(stems, vocabulary)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1
    scores = vectors @ centroid + POSITION_WEIGHT / (1 + np.array([s[0] for s in sentences]))
    if titles:
        title_vectors = tfidf([content_stems(t) for t in titles], vocabulary, stems)
        headline = titles[int(np.argmax(title_vectors @ centroid))]  # ties: the earliest
    else:
        headline = shorten(sentences[int(np.argmax(scores))][2])
    return Candidates(sentences, list(scores), vectors @ vectors.T, headline)


def tfidf(rows: list[list[str]], vocabulary: dict[str, int], documents: list[list[str]] | None = None):
    """L2-normalised TF-IDF rows over ``vocabulary`` (dense: a story's sentences by its words, as
    small as the sentence-by-sentence cosines kept beside it), with scikit-learn's smoothed IDF over
    ``documents`` (default: the rows). Not TfidfVectorizer: its input checks cost 1.4 ms a story,
    10 s of the 11,441 Il Post leads' digest."""
    import numpy as np

    documents = rows if documents is None else documents
    frequency = np.zeros(len(vocabulary))
    for terms in documents:
        frequency[[vocabulary[t] for t in set(terms)]] += 1
    matrix = np.zeros((len(rows), len(vocabulary)))
    for row, terms in enumerate(rows):
        np.add.at(matrix[row], [vocabulary[t] for t in terms if t in vocabulary], 1)
    matrix *= np.log((1 + len(documents)) / (1 + frequency)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def shorten(sentence: str) -> str:
    """A sentence as a headline: its first clause, or its first HEADLINE_WORDS words."""
    words = sentence.split()
    if len(words) <= HEADLINE_WORDS:
        return sentence.rstrip(".")
    clause = re.split(r"(?<=\w)[,;:]\s", sentence, maxsplit=1)[0]
    if 4 <= len(clause.split()) <= HEADLINE_WORDS:
        return clause
    return " ".join(words[:HEADLINE_WORDS]).rstrip(",;:") + " …"


def choose_sentences(candidates: Candidates, words: int, groups: list[list]) -> list[tuple[str, str]]:
    """(sentence, article id) pairs, central and early first, near ``words``, none repeating a chosen
    one: neither a paraphrase (cosine above REDUNDANCY) nor a sentence stating a figure already
    stated, whether another source's figure of the same thing (at any date) or the same value
    (`says_the_same_twice`)."""
    from itnews.summarise.extractive import word_count

    chosen: list[int] = []
    said: set = set()
    used = 0
    for index in sorted(range(len(candidates.sentences)), key=lambda i: -candidates.scores[i]):
        _, _, sentence, article = candidates.sentences[index]
        length = word_count(sentence)
        if chosen and abs(used + length - words) >= abs(used - words):
            continue
        stated = figures_stated(sentence, article, groups)
        if stated & said or any(candidates.similarity[index, other] > REDUNDANCY for other in chosen):
            continue
        chosen.append(index)
        said |= stated
        used += length
    chosen.sort(key=lambda i: candidates.sentences[i][:2])
    return [(candidates.sentences[i][2], candidates.sentences[i][3]) for i in chosen]


def figures_stated(sentence: str, article: str, groups: list[list]) -> set:
    """What the sentence's figures are: the aligned figure each belongs to (its group's number), else
    the value itself when stating it twice would repeat a fact."""
    from itnews.facts.figures import figures

    stated = set()
    for fact in figures(sentence, "it"):
        home = next((n for n, g in enumerate(groups) if any(mine(f, article, fact) for f in g)), None)
        if home is not None:
            stated.add(home)
        elif says_the_same_twice(fact):
            stated.add((fact.kind, fact.value, fact.unit))
    return stated


def says_the_same_twice(fact) -> bool:
    """Whether a value stated in two sentences of one story's summary is one fact told twice: an amount,
    a percentage, a duration, a count of ten or more. On news-2024, durations ("15 minuti", "trent'anni")
    and counts ("Diciannove" / "19") were stated twice in 4 of 149 summaries when only amounts,
    percentages and numbers of three digits counted (eval/DIGEST.md)."""
    return fact.kind in ("amount", "percent", "duration") or (fact.kind == "number" and abs(fact.value) >= 10)


def mine(figure, article: str, fact) -> bool:
    """Whether an aligned figure is this article's ``fact``."""
    return figure.article == article and (figure.fact.kind, figure.fact.value, figure.fact.unit) == (
        fact.kind,
        fact.value,
        fact.unit,
    )


def disputed(sentence: str, article: str, groups: list[list]) -> list[dict]:
    """The figures of the sentence that other sources dispute (`alignment.disputing`), with their
    values and dates: said beside the sentence, which keeps its source's words."""
    from itnews.facts.figures import figures

    notes = []
    for fact in figures(sentence, "it"):
        for group in groups:
            figure = next((f for f in group if mine(f, article, fact)), None)
            others = alignment.disputing(group, figure) if figure else []
            if not others:
                continue
            values: dict[tuple, list[str]] = {}
            for other in others:
                date = other.time.isoformat() if other.time else None
                values.setdefault((other.fact.text, date), []).append(other.article)
            notes.append({
                "stated": fact.text,
                "label": alignment.label(group),
                "others": [{"text": t, "date": date, "articles": ids} for (t, date), ids in values.items()],
            })  # fmt: skip
    return notes


def timeline(
    articles: list[Record], groups: list[list], outlets: dict[str, str], copies: dict[str, list[str]]
) -> list[dict]:
    """Per day and outlet, in date order: the articles and their titles, the figures that changed
    since an earlier day ("persone uccise: 274 → più di 500") and those first given that day (an
    aligned figure's article speaks for its ``copies``: each copy's outlet gets it)."""
    entries: dict[tuple, dict] = {}
    days = {}
    for article in articles:
        day = alignment.published(article)
        if day is None:
            continue
        days[article.id] = day
        entry = entries.setdefault((day, outlets[article.id]), {
            "date": day.isoformat(), "outlet": outlets[article.id], "articles": [], "titles": [],
            "updates": [], "new": [],
        })  # fmt: skip
        entry["articles"].append(article.id)
        entry["titles"].append(article.title or shorten(article.sentences[0] if article.sentences else ""))
    if not entries:
        return []
    first_day = min(days.values())
    for group in groups:
        name = alignment.label(group)
        for earlier, later in alignment.updates(group):
            for article in copies[later.article]:
                if article not in days:
                    continue
                changes = entries[days[article], outlets[article]]["updates"]
                same = next((c for c in changes if c["label"] == name), None)
                if same is None:
                    changes.append({"label": name, "before": earlier.fact.text, "after": later.fact.text})
                elif later.fact.text not in same["after"].split(" / "):  # two articles of a day: "500 / 558"
                    same["after"] += f" / {later.fact.text}"
        dated = [f for f in group if f.time]
        start = min((f.time for f in dated), default=None)
        for figure in dated:
            if start > first_day and figure.time == start:
                for article in (a for a in copies[figure.article] if a in days):
                    new = entries[days[article], outlets[article]]["new"]
                    if all(item["label"] != name for item in new):  # one source's figure of the thing
                        new.append({"label": name, "text": figure.fact.text})
    return [entries[key] for key in sorted(entries)]
