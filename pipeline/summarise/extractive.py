"""The embedded extractive summariser: no weights, no downloads, the offline default for Italian.

Methods:
- ``lead1`` / ``lead2`` / ``lead3``: the first k sentences, the classic news baseline.
- ``extractive``: Edmundson's location and title methods. Each sentence scores by its position (news
  puts the facts first) plus its TF-IDF similarity to the headline, over Snowball-stemmed Italian
  content words. Sentences are taken best first, skipping near-duplicates of those already chosen,
  while each one brings the summary nearer the target length; they are returned in article order.

Every method leaves out headings and subtitles (the record's ``headings``, found by
`itnews.ingest.blocks`) unless the text has nothing else: they label what follows, saying little.

The target is a length, not a cap: Italian news sentences run 25-40 words, so a hard 60-word cap
often leaves room for one lead sentence and a short filler, and loses to Lead-2 on ROUGE. Taking a
sentence when it ends nearer the target than stopping short lands within half a sentence of it.

LexRank centrality and a density of names and figures were measured as further terms and dropped:
neither improved ROUGE on the project corpus (eval/RESULTS.md, eval/extractive_ablation.py).
No maintained library offers position and headline scoring with a length target over Italian stems
(sumy has Edmundson, but with English cue-word lists and a sentence count), so it is written here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

LEAD_METHODS = {"lead1": 1, "lead2": 2, "lead3": 3}
METHODS = ("extractive", *LEAD_METHODS)
DEFAULT_WORDS = 70  # the long end of an editor's 2-3 sentence summary (corpus references: 40-70 words)

POSITION_DECAY = 2.0  # position score of sentence i is 1 / (1 + POSITION_DECAY * i)
HEADLINE_WEIGHT = 0.3  # a headline-like later sentence can overtake the third and later lead sentences
MIN_SENTENCE_WORDS = 6  # headings, datelines and list labels are poor summary sentences
REDUNDANCY_THRESHOLD = 0.5  # cosine above which a candidate repeats a chosen sentence
WORD = re.compile(r"\w+", re.UNICODE)


def summarise(
    sentences: list[str],
    method: str = "extractive",
    words: int = DEFAULT_WORDS,
    headline: str | None = None,
    headings: Collection[int] = (),
) -> str:
    """A summary made of whole sentences of the article, in their original order. Headings and
    subtitles (``headings``: their indexes in ``sentences``) are left out unless they are all of it."""
    if method in LEAD_METHODS:
        first = body_sentences(sentences, headings)[: LEAD_METHODS[method]]
        return " ".join(sentences[i] for i in first)
    if method != "extractive":
        raise ValueError(f"unknown extractive method {method!r}; choose from {', '.join(METHODS)}")
    chosen = select_sentences(sentences, words, headline, headings)
    return " ".join(sentences[i] for i in chosen)


def word_count(text: str) -> int:
    return len(text.split())


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("italian")


@functools.cache
def _stop_words() -> frozenset[str]:
    from stop_words import get_stop_words

    return frozenset(get_stop_words("it"))


def content_stems(sentence: str) -> list[str]:
    """Stems of the words that carry content: casefolded, stop words and digits-only tokens out."""
    stop = _stop_words()
    words = [w for w in WORD.findall(sentence.casefold()) if w not in stop and not w.isdigit()]
    return _stemmer().stemWords(words)


def tfidf_matrix(sentences: list[str]) -> np.ndarray:
    """Rows are L2-normalised TF-IDF vectors, IDF computed over the article's own sentences."""
    import numpy as np  # here, not at the top: the CLI reads this module's constants at start-up

    stems = [content_stems(s) for s in sentences]
    vocabulary = {term: i for i, term in enumerate(sorted({t for row in stems for t in row}))}
    counts = np.zeros((len(sentences), max(len(vocabulary), 1)))
    for row, terms in enumerate(stems):
        for term in terms:
            counts[row, vocabulary[term]] += 1
    document_frequency = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(sentences)) / (1 + document_frequency)) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return weights / np.where(norms == 0, 1, norms)


def sentence_scores(sentences: list[str], headline: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Each sentence's score, and the sentence-by-sentence cosine similarity matrix."""
    import numpy as np

    vectors = tfidf_matrix([*sentences, headline or ""])
    sentence_vectors, headline_vector = vectors[:-1], vectors[-1]
    similarity = sentence_vectors @ sentence_vectors.T
    np.fill_diagonal(similarity, 0)
    position = 1 / (1 + POSITION_DECAY * np.arange(len(sentences)))
    return position + HEADLINE_WEIGHT * (sentence_vectors @ headline_vector), similarity


def body_sentences(sentences: list[str], headings: Collection[int]) -> list[int]:
    """Indexes of the sentences that are not headings; of all of them if every one is."""
    skipped = set(headings)
    return [i for i in range(len(sentences)) if i not in skipped] or list(range(len(sentences)))


def select_sentences(
    sentences: list[str], words: int, headline: str | None = None, headings: Collection[int] = ()
) -> list[int]:
    """Indices of the chosen sentences, in article order, their length nearest ``words``."""
    import numpy as np

    body = body_sentences(sentences, headings)
    candidates = [i for i in body if word_count(sentences[i]) >= MIN_SENTENCE_WORDS]
    if not candidates:  # a very short text: fall back to its first sentence
        return body[:1]
    scores, similarity = sentence_scores([sentences[i] for i in candidates], headline)
    chosen: list[int] = []  # positions in `candidates`
    used_words = 0
    for position in sorted(range(len(candidates)), key=lambda p: -scores[p]):
        length = word_count(sentences[candidates[position]])
        if abs(used_words + length - words) >= abs(used_words - words):  # would not come nearer
            continue
        if any(similarity[position, other] > REDUNDANCY_THRESHOLD for other in chosen):
            continue
        chosen.append(position)
        used_words += length
    if not chosen:  # every sentence is far longer than the target: the best one is the summary
        chosen = [int(np.argmax(scores))]
    return sorted(candidates[p] for p in chosen)
