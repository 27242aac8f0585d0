"""Stories: group the articles that report the same event, across outlets.

Each article becomes a TF-IDF vector (scikit-learn) over its content stems, its names and its
figures (`itnews.facts.extract`): two outlets rewriting one event share few sentences but many names,
figures and content words. Then:

1. near-duplicates (one agency text republished) are found with MinHash LSH (datasketch) over
   word 5-grams and always share a story;
2. blocking: a sparse graph links the articles within ``threshold`` cosine distance of each other
   (scikit-learn's radius neighbours, computed in bounded chunks: no n x n matrix is held); its
   connected components (scipy) are the blocks. Short texts chain into one giant component (7,648
   of the 8,504 Il Post leads), so a block over MAX_BLOCK is blocked again at a tighter radius;
   reports of one event sit well within the threshold of each other, so this rarely parts them;
3. within each block, average-linkage agglomerative clustering (scikit-learn) on the block's
   distances cuts at ``threshold``. Articles more than MAX_DAYS apart (when both are dated) are
   kept apart: the same two companies signing another deal in another week is another story.

The threshold was chosen on the project's story corpus (eval/DIGEST.md), so that figure is not a
held-out one.
"""

from __future__ import annotations

import datetime

from itnews.core.record import Record

THRESHOLD = 0.8  # cosine distance: below it two articles may report the same event
MAX_DAYS = 4  # reports of one event appear within a few days of each other
MAX_BLOCK = 1500  # articles clustered at once: their distances are held densely (18 MB)
NEAR_DUPLICATE = 0.8  # estimated Jaccard similarity of word 5-grams: one text republished
NAME_WEIGHT = 2  # a name counts as this many content words
SHINGLE = 5


def features(record: Record) -> list[str]:
    """Content stems, names and figures of an article, as tokens of one vocabulary."""
    from itnews.facts.figures import figures
    from itnews.facts.names import names
    from itnews.summarise.extractive import content_stems

    text = f"{record.title or ''}\n\n{record.text or ''}"
    tokens = content_stems(text)
    tokens += [f"name:{fact.value}" for fact in names(text, "it")] * NAME_WEIGHT
    tokens += [
        f"{fact.kind}:{fact.value:g}:{fact.unit}" for fact in figures(text, "it") if fact.kind != "date"
    ]
    return tokens


def day(record: Record) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((record.published or "")[:10])
    except ValueError:
        return None


def group(records: list[Record], threshold: float = THRESHOLD) -> list[list[int]]:
    """Indices of ``records`` grouped into stories, each story in input order, stories in the
    order of their first article."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(records) < 2:
        return [[i] for i in range(len(records))]
    vectors = TfidfVectorizer(analyzer=features, sublinear_tf=True).fit_transform(records)
    duplicates = near_duplicates(records)
    days = [day(record) for record in records]
    label = np.full(len(records), -1)
    next_label = 0
    for members in blocks(vectors, np.arange(len(records)), duplicates, threshold):
        for cluster in cluster_block(
            vectors[members], [days[i] for i in members], duplicates, members, threshold
        ):
            label[members[cluster]] = next_label
            next_label += 1
    stories: dict[int, list[int]] = {}
    for index, story in enumerate(label):
        stories.setdefault(int(story), []).append(index)
    return sorted(stories.values(), key=lambda story: story[0])


def blocks(vectors, members, duplicates, radius: float):
    """Connected components of the articles within ``radius`` of each other (near-duplicates always
    linked), each at most MAX_BLOCK articles (tighter radii for larger ones)."""
    import sklearn
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import radius_neighbors_graph

    with sklearn.config_context(working_memory=64):  # MB per chunk of distances
        graph = radius_neighbors_graph(vectors[members], radius, metric="cosine", mode="connectivity")
    position = {int(member): i for i, member in enumerate(members)}
    pairs = [(position[i], position[j]) for i, j in duplicates if i in position and j in position]
    if pairs:
        rows, columns = zip(*pairs, strict=True)
        graph = graph + coo_matrix(([1.0] * len(rows), (rows, columns)), shape=graph.shape)
    count, component = connected_components(graph, directed=False)
    for block in range(count):
        inside = members[component == block]
        if len(inside) > MAX_BLOCK and radius > 0.05:
            yield from blocks(vectors, inside, duplicates, radius * 0.9)
        else:
            yield inside


def cluster_block(vectors, days, duplicates, members, threshold) -> list[list[int]]:
    """Average-linkage clusters of one block (positions within it)."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    if len(members) == 1:
        return [[0]]
    distances = cosine_distances(vectors)
    position = {int(member): i for i, member in enumerate(members)}
    for i, j in duplicates:
        if i in position and j in position:
            distances[position[i], position[j]] = distances[position[j], position[i]] = 0.0
    ordinals = np.array([d.toordinal() if d else np.nan for d in days])
    with np.errstate(invalid="ignore"):  # an undated article is compared with none
        apart = np.abs(ordinals[:, None] - ordinals[None, :]) > MAX_DAYS
    distances[apart] = 2.0  # the largest cosine distance: never one story
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    ).fit_predict(distances)
    return [list(np.flatnonzero(labels == label)) for label in range(labels.max() + 1)]


def near_duplicates(records: list[Record]) -> list[tuple[int, int]]:
    """Pairs of records whose texts are one text republished (MinHash LSH over word 5-grams)."""
    from datasketch import MinHash, MinHashLSH

    index = MinHashLSH(threshold=NEAR_DUPLICATE, num_perm=64)
    pairs = []
    for i, record in enumerate(records):
        words = (record.text or "").casefold().split()
        shingles = {" ".join(words[k : k + SHINGLE]) for k in range(max(1, len(words) - SHINGLE + 1))}
        signature = MinHash(num_perm=64)
        signature.update_batch([shingle.encode("utf-8") for shingle in shingles])
        pairs += [(int(j), i) for j in index.query(signature)]
        index.insert(str(i), signature)
    return pairs
