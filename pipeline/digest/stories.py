"""Stories: group the articles that report the same event, across outlets.

Each article becomes a TF-IDF vector over its content stems, its names and its figures
(`itnews.facts.extract`): two outlets rewriting one event share few sentences but many names,
figures and content words. A token's IDF counts the articles that hold it in the input and in a
background of Italian news (background.npz, built by eval/background.py from wordfreq's Italian
list, weighing as BACKGROUND_ARTICLES articles): with the input's counts alone, a name that every
article of a small input shares weighs least, so the same articles made different stories alone
and among thousands of others. Names weigh as their rarest word does in the background ("giorgia
meloni" as "meloni": news-2024 pairwise F1 0.812, against 0.787 with every name as rare as the
rarest stem, both before DAY_DISTANCE); figures and words the background lacks as the rarest it lists. Then:

1. near-duplicates (one agency text republished) are found with MinHash LSH (datasketch) over
   word 5-grams; each is clustered once, as its first copy, and the copies follow it (its IDF
   counts them all), so many copies cost what one does;
2. blocking: a sparse graph links the articles within ``threshold`` cosine distance of each other
   (scikit-learn's radius neighbours, computed in bounded chunks: no n x n matrix is held); its
   connected components (scipy) are the blocks. Short texts chain into one giant component (7,648
   of the 8,504 Il Post leads), so a block over MAX_BLOCK is blocked again at a tighter radius;
   reports of one event sit well within the threshold of each other, so this rarely parts them;
3. within each block, average-linkage agglomerative clustering (scikit-learn) on the block's
   distances cuts at ``threshold``; two dated articles' distance grows by DAY_DISTANCE for each day
   between them past the first: one event is reported within days, so articles days apart must
   share more to be one story. Without it, articles of one topic on different days (the fashion
   week's shows, the war in Ukraine's fronts, the car industry's crisis) joined as one story;
4. a cluster is cut where its dated reports fall silent for more than MAX_DAYS: the same two
   companies signing another deal a week later is another story, while a war reported every day
   for ten days stays one (a developing story, whose figures change from day to day).

The settings were chosen on the hand-labelled news-2024 articles (eval/DIGEST.md), so its figures
there are not held-out ones; the story corpus is the other set.

Measured on news-2024 and refused (pairwise F1 at the best threshold swept, before DAY_DISTANCE
where not said; 0.812 with none of them): the title's stems and names counted again (0.790 once,
0.793 twice or three times); word bigrams, weighted as their rarer stem (0.789) or as both stems'
product (0.788); a complete-linkage cap inside each cluster (no change down to 0.85: the
Israel–Hezbollah story's members are all within 0.8 of each other, and so are the separate events of
its actors that it absorbs); scipy's weighted linkage (0.813); binary or raw term counts (0.813,
0.721); figures left out or counted twice (0.816, 0.792); similarity decaying by exp(-days / 20)
past the first day instead of DAY_DISTANCE (0.819); with DAY_DISTANCE, the title and lead (its first
1, 2, 3 or 5 sentences) counted again, twice or alone (best 0.830, the title and three sentences
twice at threshold 0.76, where the story corpus falls to 0.978; 0.821 at 0.8).
"""

from __future__ import annotations

import datetime
import functools
from pathlib import Path

from itnews.core.record import Record

BACKGROUND = Path(__file__).with_name("background.npz")
# The background counts as this many articles beside the input's (news-2024 pairwise F1: 0.821 with
# 10,000, where the story corpus falls to 0.978; 0.824 with 30,000 and 100,000; 0.796 with 300,000,
# 0.785 with 1,000,000).
BACKGROUND_ARTICLES = 100_000
RAREST = 1 / BACKGROUND_ARTICLES  # share of background articles holding a token it does not list
# Chosen on news-2024 (eval/DIGEST.md: pairwise F1 0.824 at 0.8, 0.823 at 0.78 where the story corpus
# falls to 0.978, 0.816 at 0.79, 0.807 at 0.81, 0.802 at 0.83, with the other settings as here); the
# story corpus scores 1.000 with them.
THRESHOLD = 0.8  # cosine distance: below it two articles may report the same event
MAX_DAYS = 5  # a story falls silent for no longer (news-2024: 0.815 with 3 days, 0.817 with 4, 0.824 with 6)
MAX_BLOCK = 1500  # articles clustered at once: their distances are held densely (18 MB)
# Added to a pair's cosine distance per day between them past the first (news-2024 pairwise F1 with
# THRESHOLD 0.8: 0.812 with 0, 0.819 with 0.01 or 0.015, 0.824 with 0.02 or 0.025, 0.822 with 0.03,
# 0.823 with 0.04; counted from the first day: 0.819 with 0.01, 0.793 with 0.02). The story corpus
# scores 1.000 with each; the developing story stays whole (ten days at most 0.16 further apart).
DAY_DISTANCE = 0.02
NEAR_DUPLICATE = 0.8  # estimated Jaccard similarity of word 5-grams: one text republished
NAME_WEIGHT = 2  # a name counts as this many content words (news-2024: 0.808 with 1, 0.793 with 3)
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


def group(
    records: list[Record], threshold: float = THRESHOLD, first: list[int] | None = None
) -> list[list[int]]:
    """Indices of ``records`` grouped into stories, each story in input order, stories in the
    order of their first article. Near-duplicates (``first``, from `near_duplicates`, computed when
    not given) are clustered once, as their first copy, and follow it into its story: 10,000 copies
    of one agency text cost one article's clustering."""
    import numpy as np

    if len(records) < 2:
        return [[i] for i in range(len(records))]
    first = near_duplicates(records) if first is None else first
    copies: dict[int, list[int]] = {}
    for index, original in enumerate(first):
        copies.setdefault(original, []).append(index)
    distinct = np.array(sorted(copies))
    vectors = tfidf([records[i] for i in distinct], [len(copies[i]) for i in distinct])
    days = [day(record) for record in records]
    label = np.full(len(records), -1)
    next_label = 0
    for members in blocks(vectors, np.arange(len(distinct)), threshold):
        for cluster in cluster_block(vectors[members], threshold, [days[distinct[m]] for m in members]):
            articles = [i for position in members[cluster] for i in copies[int(distinct[position])]]
            for run in date_runs(articles, days):
                label[run] = next_label
                next_label += 1
    stories: dict[int, list[int]] = {}
    for index, story in enumerate(label):
        stories.setdefault(int(story), []).append(index)
    return sorted(stories.values(), key=lambda story: story[0])


def tfidf(records: list[Record], copies: list[int] | None = None):
    """L2-normalised rows of sublinear term frequency times an IDF over the input and the background;
    a record standing for ``copies[i]`` articles (default 1) counts as that many in the IDF."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=features)
    counts = vectorizer.fit_transform(records).astype(np.float64)
    copies = np.ones(len(records)) if copies is None else np.asarray(copies, dtype=np.float64)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    in_input = np.bincount(counts.indices, weights=copies[rows], minlength=counts.shape[1])
    return weighted(counts, vectorizer.get_feature_names_out(), in_input, copies.sum())


def weighted(counts, tokens, in_input, articles: float):
    """Token ``counts`` (a float CSR matrix, a column per token of ``tokens``; changed in place) as
    L2-normalised rows of sublinear term frequency times the IDF over ``articles`` input articles, of
    which ``in_input[j]`` hold token j, and the background. `tfidf` and the story store
    (`itnews.monitor.incremental`, from stored counts) weigh with this one formula."""
    import numpy as np
    from scipy.sparse import diags
    from sklearn.preprocessing import normalize

    shares = background_shares(tokens)
    idf = np.log((1 + articles + BACKGROUND_ARTICLES) / (1 + in_input + BACKGROUND_ARTICLES * shares)) + 1
    counts.data = 1 + np.log(counts.data)
    return normalize(counts @ diags(idf))


def background_shares(tokens):
    """Share of background articles that hold each token, as a numpy array."""
    import numpy as np

    from itnews.summarise.extractive import content_stems

    stems, shares = background()

    def lookup(keys: list[str]):
        encoded = np.array([key.encode("utf-8") for key in keys])  # its own width: no stem cut short
        at = np.minimum(np.searchsorted(stems, encoded), len(stems) - 1)
        return np.where(stems[at] == encoded, shares[at], RAREST)

    result = np.full(len(tokens), RAREST)
    plain = [i for i, token in enumerate(tokens) if ":" not in token]
    if plain:
        result[plain] = lookup([tokens[i] for i in plain])
    for i, token in enumerate(tokens):
        if token.startswith("name:") and (words := content_stems(token[len("name:") :])):
            result[i] = lookup(words).min()
    return result


@functools.cache
def background():
    """The background's stems (sorted UTF-8 bytes) and their shares of articles, read once."""
    import numpy as np

    with np.load(BACKGROUND) as data:
        return data["stems"], data["share"].astype(np.float64)


def blocks(vectors, members, radius: float):
    """Connected components of the articles within ``radius`` of each other, each at most MAX_BLOCK
    articles (tighter radii for larger ones)."""
    import sklearn
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import radius_neighbors_graph

    # MB per chunk of distances: with 64 the digest of the Il Post leads (eval/DIGEST.md) peaked at
    # 503 MB, with 16 at 381 MB, in the same 13 s
    with sklearn.config_context(working_memory=16):
        graph = radius_neighbors_graph(vectors[members], radius, metric="cosine", mode="connectivity")
    count, component = connected_components(graph, directed=False)
    for block in range(count):
        inside = members[component == block]
        if len(inside) > MAX_BLOCK and radius > 0.05:
            yield from blocks(vectors, inside, radius * 0.9)
        else:
            yield inside


def cluster_block(
    vectors, threshold, days: list[datetime.date | None] | None = None
) -> list[list[int]]:
    """Average-linkage clusters of one block (positions within it); with the articles' ``days``,
    dated articles are DAY_DISTANCE further apart for each day between them past the first."""
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    if vectors.shape[0] == 1:
        return [[0]]
    distances = cosine_distances(vectors)
    if days is not None:
        ordinal = np.array([when.toordinal() if when else np.nan for when in days])
        apart = np.nan_to_num(np.abs(ordinal[:, None] - ordinal[None, :]))  # undated: no days apart
        distances += DAY_DISTANCE * np.maximum(apart - 1, 0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    ).fit_predict(distances)
    return [list(np.flatnonzero(labels == label)) for label in range(labels.max() + 1)]


def date_runs(cluster: list[int], days: list[datetime.date | None]) -> list[list[int]]:
    """A cluster cut where its dated reports fall silent for more than MAX_DAYS; undated
    articles stay in the first run."""
    dated = sorted((days[i], i) for i in cluster if days[i])
    runs = [[i for i in cluster if not days[i]]]
    for k, (when, i) in enumerate(dated):
        if k and (when - dated[k - 1][0]).days > MAX_DAYS:
            runs.append([])
        runs[-1].append(i)
    return [sorted(run) for run in runs if run]


def near_duplicates(records: list[Record]) -> list[int]:
    """For each record, the index of the first record whose text it republishes (itself when none
    does): MinHash LSH over word 5-grams, each record compared with the first copies only, so that
    10,000 copies of one text cost 10,000 lookups, not 50 million pairs."""
    from datasketch import MinHash, MinHashLSH

    index = MinHashLSH(threshold=NEAR_DUPLICATE, num_perm=64)
    first = []
    for i, record in enumerate(records):
        words = (record.text or "").casefold().split()
        shingles = {" ".join(words[k : k + SHINGLE]) for k in range(max(1, len(words) - SHINGLE + 1))}
        signature = MinHash(num_perm=64)
        signature.update_batch([shingle.encode("utf-8") for shingle in shingles])
        found = [int(j) for j in index.query(signature)]
        first.append(min(found) if found else i)
        if not found:
            index.insert(str(i), signature)
    return first
