"""`itnews digest`: many outlets' articles in, one story each out, with the figures they disagree on.

Cleaned records (`Clean`, run by the local runner) are grouped into stories (`itnews.digest.stories`).
Each story gets:

- an extractive summary drawn from all its sources: sentences chosen by how central they are to
  the story (TF-IDF cosine to the story's centroid) and where they stand in their article, skipping
  any that repeat a chosen one, up to the ``--words`` target; each sentence names its article.
  With a seq2seq model, the model summarises those sentences instead. A translator gives English;
- its figures aligned across sources (`itnews.digest.alignment`), with ``conflict`` where sources disagree
  beyond rounding. A summary sentence that states a disputed figure says the consensus value and
  notes the dissent: "38 miliardi di dollari (una fonte: 138 miliardi di dollari)".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from itnews.core.record import Record
from itnews.digest import alignment as figure_alignment

POSITION_WEIGHT = 0.1  # a lead sentence's edge over a late one of equal centrality (eval/DIGEST.md)
REDUNDANCY = 0.3  # cosine above which a candidate repeats a chosen sentence
MIN_WORDS = 6  # headings and datelines are poor summary sentences


@dataclass
class Story:
    story_id: str
    title: str | None
    articles: list[str]
    sources: list[str]
    summary_it: str | None
    summary_en: str | None = None
    sentences: list[dict] = field(default_factory=list)  # {"text", "article"}, in summary order
    figures: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def outlet(record: Record) -> str:
    """Who published it: the outlet field, else the file the record came from."""
    return record.outlet or Path(re.sub(r":\d+$", "", record.source)).name


def build_stories(records: list[Record], words: int) -> list[Story]:
    from itnews.digest.stories import group

    stories = []
    for number, members in enumerate(group(records), 1):
        articles = [records[i] for i in members]
        aligned = [
            figure_alignment.to_dict(g)
            for g in figure_alignment.align(figure_alignment.story_figures(articles))
        ]
        chosen = choose_sentences(articles, words, aligned)
        sentences = [
            {"text": annotate(text, article, aligned), "article": article} for text, article in chosen
        ]
        stories.append(
            Story(
                story_id=f"story-{number:03d}",
                title=articles[0].title,
                articles=[a.id for a in articles],
                sources=list(dict.fromkeys(outlet(a) for a in articles)),
                summary_it=" ".join(s["text"] for s in sentences),
                sentences=sentences,
                figures=aligned,
            )
        )
    return stories


def summarise_stories(stories: list[Story], records: list[Record], steps: list) -> None:
    """The summary steps (`summary_steps`) on each story: a seq2seq model summarises the story's
    chosen sentences, where the extractive summariser's work is the choice itself; then the
    translation, the languages kept and the faithfulness guard against all the story's articles."""
    from itnews.core.steps import apply
    from itnews.summarise.steps import Summarise

    notices: list[str] = []
    if steps and isinstance(steps[0], Summarise) and steps[0].model is None:
        notices, steps = steps[0].notices, steps[1:]
    texts = {record.id: record.text for record in records}
    pseudo = [
        Record(
            id=story.story_id,
            source=story.story_id,
            title=story.title,
            text="\n\n".join(texts[article] for article in story.articles),
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


def choose_sentences(articles: list[Record], words: int, aligned: list[dict]) -> list[tuple[str, str]]:
    """(sentence, article id) pairs, central and early first, without repeats, near ``words``."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from itnews.summarise.extractive import content_stems, word_count

    candidates = [
        (position, order, sentence, article.id)
        for order, article in enumerate(articles)
        for position, sentence in enumerate(article.sentences)
        if word_count(sentence) >= MIN_WORDS and position not in article.headings
    ] or [(0, order, a.sentences[0], a.id) for order, a in enumerate(articles) if a.sentences][:1]
    if not candidates:
        return []
    try:
        vectors = TfidfVectorizer(analyzer=content_stems).fit_transform([c[2] for c in candidates])
    except ValueError:  # no content word at all
        return [(candidates[0][2], candidates[0][3])]
    centroid = np.asarray(vectors.mean(axis=0)).ravel()
    centrality = vectors @ (centroid / (np.linalg.norm(centroid) or 1))
    scores = centrality + POSITION_WEIGHT / (1 + np.array([c[0] for c in candidates]))
    similarity = (vectors @ vectors.T).toarray()
    same = {  # every value of an aligned figure stands for the figure: its consensus value
        value["value"]: next(v["value"] for v in group["values"] if v["consensus"])
        for group in aligned
        for value in group["values"]
        if not isinstance(value["value"], list)
    }
    stated = [
        {(kind, same.get(value, value), unit) for kind, value, unit in key_figures(c[2])} for c in candidates
    ]
    chosen: list[int] = []
    said: set = set()  # the key figures the chosen sentences state: a source repeating one adds nothing
    used = 0
    for index in np.argsort(-scores):
        length = word_count(candidates[index][2])
        if chosen and abs(used + length - words) >= abs(used - words):
            continue
        if any(similarity[index, other] > REDUNDANCY for other in chosen) or stated[index] & said:
            continue
        chosen.append(int(index))
        said |= stated[index]
        used += length
    chosen.sort(key=lambda i: (candidates[i][0], candidates[i][1]))
    return [(candidates[i][2], candidates[i][3]) for i in chosen]


def key_figures(sentence: str) -> set[tuple]:
    from itnews.facts.figures import figures

    return {(f.kind, f.value, f.unit) for f in figures(sentence, "it") if figure_alignment.specific(f)}


def annotate(sentence: str, article: str, aligned: list[dict]) -> str:
    """The sentence with each disputed figure it states given as the consensus, with the dissent."""
    for group in aligned:
        if not group["conflict"]:
            continue
        stated = next(
            (v for v in group["values"] if article in v["articles"] and v["text"] in sentence), None
        )
        if stated is None:
            continue
        consensus = max((v for v in group["values"] if v["consensus"]), key=lambda v: len(v["articles"]))
        dissent = [v for v in group["values"] if not v["consensus"]]
        sources = sum(len(v["articles"]) for v in dissent)
        note = (
            ("una fonte" if sources == 1 else f"{sources} fonti")
            + ": "
            + ", ".join(v["text"] for v in dissent)
        )
        sentence = sentence.replace(stated["text"], f"{consensus['text']} ({note})", 1)
    return sentence
