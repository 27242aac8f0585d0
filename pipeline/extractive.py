"""The embedded extractive summariser: no weights, no downloads, the offline default for Italian.

Methods:
- ``lead1`` / ``lead2`` / ``lead3``: the first k sentences, the classic news baseline.
- ``extractive``: position-aware centrality. Sentences are TF-IDF vectors of Snowball-stemmed
  Italian content words; a cosine-similarity graph is ranked with PageRank whose teleport
  distribution favours early sentences (news puts the facts first), as in LexRank with a position
  prior. Sentences are then taken best first, skipping near-duplicates of those already chosen,
  until the word budget is full, and returned in article order.

No maintained library implements a position-biased LexRank over Italian stems with a word
budget (sumy's LexRank has no position prior or budget), so the ranking is written here on numpy.
"""

from __future__ import annotations

import functools
import re

import numpy as np

LEAD_METHODS = {"lead1": 1, "lead2": 2, "lead3": 3}
METHODS = ("extractive", *LEAD_METHODS)
DEFAULT_MAX_WORDS = 60

DAMPING = 0.85  # PageRank's usual value
POSITION_DECAY = 0.35  # teleport weight of sentence i is 1 / (1 + POSITION_DECAY * i)
MIN_SENTENCE_WORDS = 6  # headings, datelines and list labels are poor summary sentences
REDUNDANCY_THRESHOLD = 0.5  # cosine above which a candidate repeats a chosen sentence
WORD = re.compile(r"\w+", re.UNICODE)


def summarise(sentences: list[str], method: str = "extractive", max_words: int = DEFAULT_MAX_WORDS) -> str:
    """A summary made of whole sentences of the article, in their original order."""
    if method in LEAD_METHODS:
        return " ".join(sentences[: LEAD_METHODS[method]])
    if method != "extractive":
        raise ValueError(f"unknown extractive method {method!r}; choose from {', '.join(METHODS)}")
    chosen = select_sentences(sentences, max_words)
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


def position_biased_pagerank(similarity: np.ndarray, iterations: int = 100) -> np.ndarray:
    n = similarity.shape[0]
    teleport = 1 / (1 + POSITION_DECAY * np.arange(n))
    teleport /= teleport.sum()
    outgoing = similarity.sum(axis=1, keepdims=True)
    # A sentence with no similar neighbour sends its rank to the teleport distribution.
    transition = np.where(outgoing > 0, similarity / np.where(outgoing == 0, 1, outgoing), teleport)
    rank = teleport.copy()
    for _ in range(iterations):
        updated = (1 - DAMPING) * teleport + DAMPING * rank @ transition
        if np.abs(updated - rank).sum() < 1e-9:
            return updated
        rank = updated
    return rank


def select_sentences(sentences: list[str], max_words: int) -> list[int]:
    """Indices of the chosen sentences, in article order."""
    candidates = [i for i, s in enumerate(sentences) if word_count(s) >= MIN_SENTENCE_WORDS]
    if not candidates:  # a very short text: fall back to its first sentence
        return [0] if sentences else []
    vectors = tfidf_matrix([sentences[i] for i in candidates])
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0)
    scores = position_biased_pagerank(similarity)
    chosen: list[int] = []  # positions in `candidates`
    used_words = 0
    for position in sorted(range(len(candidates)), key=lambda p: -scores[p]):
        words = word_count(sentences[candidates[position]])
        if used_words + words > max_words:
            continue
        if any(similarity[position, other] > REDUNDANCY_THRESHOLD for other in chosen):
            continue
        chosen.append(position)
        used_words += words
    if not chosen:  # every sentence is longer than the budget: the best one is the summary
        chosen = [int(np.argmax(scores))]
    return sorted(candidates[p] for p in chosen)
