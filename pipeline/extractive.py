"""The embedded extractive summariser: no weights, no downloads, the offline default for Italian.

Methods:
- ``lead1`` / ``lead2`` / ``lead3``: the first k sentences, the classic news baseline.
- ``extractive``: position-aware centrality. Sentences are TF-IDF vectors of Snowball-stemmed
  Italian content words. Each sentence scores by a weighted sum of: its position (news puts the
  facts first), its LexRank centrality (PageRank over the cosine-similarity graph), its similarity
  to the headline, and its density of names and figures (capitalised words and numbers, which
  carry the who/what/how-much of news). Sentences are then taken best first, skipping
  near-duplicates of those already chosen and any that would overflow the word budget, and are
  returned in article order.

The weights were set on the project corpus with a coarse grid (eval/RESULTS.md); no maintained
library offers LexRank with a position prior, headline similarity and a word budget over Italian
stems (sumy's LexRank has none of these), so the scoring is written here on numpy.
"""

from __future__ import annotations

import functools
import re

import numpy as np

LEAD_METHODS = {"lead1": 1, "lead2": 2, "lead3": 3}
METHODS = ("extractive", *LEAD_METHODS)
DEFAULT_MAX_WORDS = 60

DAMPING = 0.85  # PageRank's usual value
POSITION_DECAY = 2.0  # position score of sentence i is 1 / (1 + POSITION_DECAY * i)
WEIGHTS = {"position": 1.0, "centrality": 0.3, "headline": 0.3, "density": 0.5}
MIN_SENTENCE_WORDS = 6  # headings, datelines and list labels are poor summary sentences
REDUNDANCY_THRESHOLD = 0.5  # cosine above which a candidate repeats a chosen sentence
WORD = re.compile(r"\w+", re.UNICODE)


def summarise(
    sentences: list[str],
    method: str = "extractive",
    max_words: int = DEFAULT_MAX_WORDS,
    headline: str | None = None,
) -> str:
    """A summary made of whole sentences of the article, in their original order."""
    if method in LEAD_METHODS:
        return " ".join(sentences[: LEAD_METHODS[method]])
    if method != "extractive":
        raise ValueError(f"unknown extractive method {method!r}; choose from {', '.join(METHODS)}")
    chosen = select_sentences(sentences, max_words, headline)
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


def lexrank(similarity: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Stationary distribution of a random walk on the similarity graph, scaled to max 1."""
    n = similarity.shape[0]
    uniform = np.full(n, 1 / n)
    outgoing = similarity.sum(axis=1, keepdims=True)
    # A sentence with no similar neighbour sends its rank everywhere alike.
    transition = np.where(outgoing > 0, similarity / np.where(outgoing == 0, 1, outgoing), uniform)
    rank = uniform.copy()
    for _ in range(iterations):
        updated = (1 - DAMPING) * uniform + DAMPING * rank @ transition
        if np.abs(updated - rank).sum() < 1e-9:
            break
        rank = updated
    return rank / rank.max()


def name_and_figure_density(sentence: str) -> float:
    """Share of words that are numbers or capitalised (past the first): names, places, amounts."""
    words = sentence.split()
    capitalised = sum(1 for word in words[1:] if word[:1].isupper())
    figures = sum(1 for word in words if any(char.isdigit() for char in word))
    return (capitalised + figures) / max(len(words), 1)


def sentence_scores(sentences: list[str], headline: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Each sentence's score, and the sentence-by-sentence cosine similarity matrix."""
    vectors = tfidf_matrix([*sentences, headline or ""])
    sentence_vectors, headline_vector = vectors[:-1], vectors[-1]
    similarity = sentence_vectors @ sentence_vectors.T
    np.fill_diagonal(similarity, 0)
    position = 1 / (1 + POSITION_DECAY * np.arange(len(sentences)))
    density = np.array([name_and_figure_density(s) for s in sentences])
    scores = (
        WEIGHTS["position"] * position
        + WEIGHTS["centrality"] * lexrank(similarity)
        + WEIGHTS["headline"] * (sentence_vectors @ headline_vector)
        + WEIGHTS["density"] * density
    )
    return scores, similarity


def select_sentences(sentences: list[str], max_words: int, headline: str | None = None) -> list[int]:
    """Indices of the chosen sentences, in article order."""
    candidates = [i for i, s in enumerate(sentences) if word_count(s) >= MIN_SENTENCE_WORDS]
    if not candidates:  # a very short text: fall back to its first sentence
        return [0] if sentences else []
    scores, similarity = sentence_scores([sentences[i] for i in candidates], headline)
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
