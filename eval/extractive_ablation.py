"""Ablation of the extractive summariser on the project corpus: which scoring terms and which length
rule earn their place. Prints ROUGE-1/2 F (unicode mode) and mean length per variant, then a
leave-one-topic-out estimate: the weights are chosen on six topics and scored on the seventh.

    python eval/extractive_ablation.py

The terms measured beyond the module's own (position, headline similarity) are LexRank centrality
and the density of names and figures; they live here, not in pipeline/summarise/extractive.py, because they
did not help (eval/RESULTS.md).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from itnews.core.sources import index_source
from itnews.evaluate.rouge import rouge_scorer
from itnews.evaluate.scores import load_summaries
from itnews.ingest.clean import Clean
from itnews.summarise import extractive
from itnews.summarise.extractive import tfidf_matrix, word_count

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def lexrank(similarity: np.ndarray, damping: float = 0.85, iterations: int = 100) -> np.ndarray:
    """PageRank over the cosine-similarity graph, scaled to max 1."""
    n = similarity.shape[0]
    outgoing = similarity.sum(axis=1, keepdims=True)
    transition = np.where(outgoing > 0, similarity / np.where(outgoing == 0, 1, outgoing), 1 / n)
    rank = np.full(n, 1 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * rank @ transition
    return rank / rank.max()


def density(sentence: str) -> float:
    """Share of words that are numbers or capitalised past the first: names, places, amounts."""
    words = sentence.split()
    capitalised = sum(1 for word in words[1:] if word[:1].isupper())
    return (capitalised + sum(any(c.isdigit() for c in word) for word in words)) / max(len(words), 1)


def summarise(article, words, decay=2.0, headline=0.3, centrality=0.0, names=0.0, rule="nearest") -> str:
    """The module's selection with the extra terms switchable, and the old hard cap as ``rule="cap"``."""
    sentences = [s for s in article.sentences if word_count(s) >= extractive.MIN_SENTENCE_WORDS]
    sentences = sentences or article.sentences[:1]
    vectors = tfidf_matrix([*sentences, article.title or ""])
    similarity = vectors[:-1] @ vectors[:-1].T
    np.fill_diagonal(similarity, 0)
    scores = 1 / (1 + decay * np.arange(len(sentences))) + headline * (vectors[:-1] @ vectors[-1])
    if centrality:
        scores = scores + centrality * lexrank(similarity)
    if names:
        scores = scores + names * np.array([density(s) for s in sentences])
    chosen: list[int] = []
    used = 0
    for i in sorted(range(len(sentences)), key=lambda i: -scores[i]):
        length = word_count(sentences[i])
        fits = used + length <= words if rule == "cap" else abs(used + length - words) < abs(used - words)
        if fits and all(similarity[i, j] <= extractive.REDUNDANCY_THRESHOLD for j in chosen):
            chosen.append(i)
            used += length
    return " ".join(sentences[i] for i in sorted(chosen or [int(np.argmax(scores))]))


def main() -> None:
    articles = [a for a in Clean()(list(index_source(str(CORPUS / "index.jsonl")))) if a.ok]
    references = load_summaries(str(CORPUS / "references.jsonl")).texts["it"]
    scorer = rouge_scorer("unicode", "it")

    def scores(summaries: dict[str, str]) -> dict[str, tuple[float, float]]:
        return {
            i: (s["rouge1"].fmeasure, s["rouge2"].fmeasure)
            for i, text in summaries.items()
            for s in [scorer.score(references[i], text)]
        }

    def report(label: str, summaries: dict[str, str]) -> None:
        r1, r2 = np.mean(list(scores(summaries).values()), axis=0)
        length = np.mean([word_count(t) for t in summaries.values()])
        print(f"{label:44s} R-1 {100 * r1:5.2f}  R-2 {100 * r2:5.2f}  words {length:5.1f}")

    for k in (2, 3):
        report(f"lead{k}", {a.id: " ".join(a.sentences[:k]) for a in articles})
    variants = {
        "module default (position + headline)": {},
        "  + LexRank 0.3": {"centrality": 0.3},
        "  + names and figures 0.5": {"names": 0.5},
        "  + both (the previous scorer's terms)": {"centrality": 0.3, "names": 0.5},
        "  position only": {"headline": 0.0},
    }
    for words in (60, 65, 70, 75):
        print(f"-- target {words} words")
        for label, options in variants.items():
            report(label, {a.id: summarise(a, words, **options) for a in articles})
        capped = {a.id: summarise(a, words, rule="cap") for a in articles}
        report("  hard cap instead of nearest length", capped)

    grid = list(itertools.product((0.5, 1.0, 2.0), (0.0, 0.3), (0.0, 0.3), (0.0, 0.5)))
    per_weights = {
        weights: scores({a.id: summarise(a, extractive.DEFAULT_WORDS, *weights) for a in articles})
        for weights in grid
    }
    held_out: list[float] = []
    for topic in sorted({a.id.rsplit("-", 1)[0] for a in articles}):
        train = [a.id for a in articles if not a.id.startswith(topic)]
        best = max(grid, key=lambda w: np.mean([per_weights[w][i][0] for i in train]))
        held_out += [per_weights[best][a.id][0] for a in articles if a.id.startswith(topic)]
        print(f"held out {topic:11s} chosen (decay, headline, LexRank, names) = {best}")
    print(f"leave-one-topic-out R-1 at {extractive.DEFAULT_WORDS} words: {100 * np.mean(held_out):.2f}")


if __name__ == "__main__":
    main()
