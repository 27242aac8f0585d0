"""Incremental stories: new articles join the stories `digest` would put them in, pass after pass.

The similarity is the digest's own (`itnews.digest.stories`): its features, its TF-IDF with the
background, blocking at THRESHOLD, average linkage, date runs. What changes is what is clustered:

- each article's feature counts are kept in the store, with how many articles hold each token, so an
  old article is never re-extracted and the IDF is the one `digest` would compute over the store;
- only the articles of the stories whose news lies within the window of the new articles' dates are
  candidates (so the cost of a pass follows the news of those days, not the size of the store); of
  those, the blocks that a new article reaches, with every article of a story they touch, are
  clustered again exactly as `digest` clusters its input;
- each resulting cluster takes the id of the old story it shares the most articles with (ids never
  change once given); a cluster sharing none is a new story.

With a window of at least MAX_DAYS (the longest silence a digest story spans) and the IDF unchanged by
the articles added since a block was last clustered, the stories equal `digest` over all the articles
(tests/test_store.py; eval/WATCH.md measures the agreement after ten passes).
"""

from __future__ import annotations

import datetime
from collections import Counter

from itnews.core.record import Record
from itnews.digest.stories import THRESHOLD


def feature_counts(record: Record) -> dict[str, int]:
    """The article's digest features (`itnews.digest.stories.features`), counted: what its TF-IDF row
    is made of."""
    from itnews.digest.stories import features

    return dict(Counter(features(record)))


def vectors(counts: list[dict[str, int]], frequency: dict[str, int], total: int):
    """The digest's TF-IDF rows (`itnews.digest.stories.weighted`, the formula `tfidf` uses) from
    stored counts, with ``frequency[token]`` articles of ``total`` holding each token: the digest's
    `tfidf` counts the tokens of the records it is given, which would mean re-extracting every
    stored article and an IDF over the candidates only (tests check both give the same rows)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction import DictVectorizer

    from itnews.digest.stories import weighted

    if not any(counts):
        return csr_matrix((len(counts), 1))  # no feature at all: zero rows, each its own story
    vectorizer = DictVectorizer(dtype=np.float64)
    matrix = vectorizer.fit_transform(counts)
    vocabulary = vectorizer.get_feature_names_out()
    in_input = np.array([frequency.get(token, 1) for token in vocabulary], dtype=np.float64)
    return weighted(matrix, vocabulary, in_input, total)


def regroup(
    matrix, days: list[datetime.date | None], new: set[int], story_of: list[str | None]
) -> list[list[int]]:
    """The clusters (row positions) of the blocks the ``new`` rows reach, each with every article of
    a story it touches (``story_of``: each row's story, None for a new one), clustered as `digest`
    does: blocks, average linkage at THRESHOLD, date runs. Rows outside them keep their story."""
    import numpy as np

    from itnews.digest.stories import blocks, cluster_block, date_runs

    rows = np.arange(matrix.shape[0])
    reached = {
        int(i) for block in blocks(matrix, rows, THRESHOLD) if new & set(block.tolist()) for i in block
    }
    touched = {story_of[i] for i in reached} - {None}
    affected = np.array(sorted(reached | {i for i, story in enumerate(story_of) if story in touched}))
    clusters = []
    for block in blocks(matrix, affected, THRESHOLD):
        for cluster in cluster_block(matrix[block], THRESHOLD, [days[int(i)] for i in block]):
            clusters += date_runs([int(block[position]) for position in cluster], days)
    return clusters


def assign(clusters: list[list[int]], story_of: list[str | None]) -> list[str | None]:
    """Each cluster's story id: the old story it shares the most articles with (ties: the older
    story), each old id given once; None for a cluster that is a new story."""
    shared = Counter((k, story_of[i]) for k, cluster in enumerate(clusters) for i in cluster if story_of[i])
    ids: list[str | None] = [None] * len(clusters)
    given = set()
    for (k, story), _ in sorted(shared.items(), key=lambda item: (-item[1], item[0][1], item[0][0])):
        if ids[k] is None and story not in given:
            ids[k] = story
            given.add(story)
    return ids
