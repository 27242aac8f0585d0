"""Build pipeline/digest/background.npz: how many Italian news articles contain each content stem.

    python eval/background.py

The digest weighs the words two articles share by how rare they are in Italian news at large, not
only in its input (itnews.digest.stories). That background comes from wordfreq's Italian list (a
public word-frequency list pooled from several kinds of text, news among them): a word of frequency
f per token appears in an article of ARTICLE_WORDS tokens with probability 1 - exp(-f * ARTICLE_WORDS), and
the words of one stem (the digest's Snowball stems) add their frequencies. Stems rarer than
RAREST are left out: the digest gives every unlisted token that share.

The file holds the stems (UTF-8, sorted, for a binary search) and each one's share of articles as
float32: 93,698 stems from wordfreq 3.1.1, 0.6 MB on disk and 3 MB in memory, read once, when
stories are grouped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import numpy as np
import wordfreq

from itnews.digest.stories import BACKGROUND, RAREST
from itnews.summarise.extractive import content_stems

ARTICLE_WORDS = 300  # words of a typical article (medians: story corpus 311, news-2024 523)


def main() -> None:
    frequency: dict[str, float] = defaultdict(float)
    for word, per_token in wordfreq.get_frequency_dict("it", "best").items():
        for stem in content_stems(word):  # stop words and numbers give none
            frequency[stem] += per_token
    share = {stem: 1 - math.exp(-f * ARTICLE_WORDS) for stem, f in frequency.items()}
    stems = sorted(stem for stem, s in share.items() if s >= RAREST)
    encoded = np.array([stem.encode("utf-8") for stem in stems])
    np.savez_compressed(
        BACKGROUND, stems=encoded, share=np.array([share[s] for s in stems], dtype=np.float32)
    )
    print(f"{Path(BACKGROUND).name}: {len(stems):,} stems (wordfreq {version('wordfreq')})")


if __name__ == "__main__":
    main()
