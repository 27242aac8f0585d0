"""ROUGE of one summary against one reference, with a tokenizer that is right for Italian.

Scores come from Google's ``rouge-score`` (ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum) in one of two modes:

- ``unicode`` (the default): the project tokenizer. rouge-score's own tokenizer keeps only ``[a-z0-9]``,
  so "però" becomes "per" and matches the preposition "per", and "dà" becomes "d" and matches the
  elided "d'". Ours keeps accented letters, splits elisions ("dell'azienda" -> "dell", "azienda") and
  stems with the Snowball stemmer of the summary's language.
- ``compat``: rouge-score's default tokenizer with its Porter stemmer (``use_stemmer=True``), the
  setting behind most published figures, so that our numbers can be set beside theirs.

ROUGE-Lsum needs one sentence per line; both modes split summaries with the project's Italian
segmenter (``itnews.ingest.sentences.split_sentences``), for English summaries too (it handles English
sentence ends; NLTK's punkt would need a data download).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
MODES = ("unicode", "compat")
SNOWBALL_LANGUAGES = {"it": "italian", "en": "english"}
WORD = re.compile(r"[^\W_]+")  # runs of Unicode letters and digits: \w without the underscore


def ends_with_accent(word: str) -> bool:
    return len(unicodedata.normalize("NFD", word[-1])) > 1


class UnicodeTokenizer:
    """NFC, casefold, words as runs of letters and digits, Snowball stems (PyStemmer, no downloads).

    A word ending in an accented letter is kept whole: the Italian stemmer's last step drops a final
    vowel, accented or not, which would make "però" the stem of "pero" and "per", and "papà" that of
    "papa". These words are invariant (città, università) or function words (perché, già), so
    stemming them conflates nothing that should match; the cost is that future and past-remote
    verb forms ("farà", "governò") do not match their infinitive.
    """

    def __init__(self, language: str):
        import Stemmer

        self._stemmer = Stemmer.Stemmer(SNOWBALL_LANGUAGES[language])

    def tokenize(self, text: str) -> list[str]:
        # Casefolding can decompose a letter ("İ" -> "i" + combining dot): normalise on both sides.
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
        words = WORD.findall(text)
        stems = self._stemmer.stemWords(words)
        return [word if ends_with_accent(word) else stem for word, stem in zip(words, stems, strict=True)]


class CachedTokenizer:
    """Tokenizes each distinct line once, however many systems and ROUGE types score it.

    A text's tokens are the concatenation of its lines' tokens, which is exact for both tokenizers
    (a newline separates words in both); rouge-score tokenizes a summary whole for ROUGE-1/2/L and
    line by line for ROUGE-Lsum, so every line is tokenized a single time.
    """

    def __init__(self, tokenizer):
        self._tokenizer = tokenizer
        self._cache: dict[str, list[str]] = {}

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for line in text.split("\n"):
            if line not in self._cache:
                self._cache[line] = self._tokenizer.tokenize(line)
            tokens.extend(self._cache[line])
        return tokens


@functools.cache
def rouge_scorer(mode: str, language: str):
    from rouge_score import rouge_scorer as rouge
    from rouge_score import tokenizers

    if mode == "compat":
        base = tokenizers.DefaultTokenizer(use_stemmer=True)
    elif mode == "unicode":
        base = UnicodeTokenizer(language)
    else:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    return rouge.RougeScorer(list(ROUGE_TYPES), tokenizer=CachedTokenizer(base))


@functools.lru_cache(maxsize=4096)  # references are scored once per system
def sentence_lines(text: str) -> str:
    """The text with one sentence per line, as rouge-score's ROUGE-Lsum expects."""
    from itnews.ingest.sentences import split_sentences

    return "\n".join(sentence for line in text.splitlines() for sentence in split_sentences(line))


@dataclass
class Rouge:
    precision: float
    recall: float
    fmeasure: float


def score_pair(
    reference: str, prediction: str, *, language: str = "it", mode: str = "unicode"
) -> dict[str, Rouge]:
    """ROUGE-1/2/L/Lsum of one prediction against one reference, by ROUGE type."""
    scores = rouge_scorer(mode, language).score(sentence_lines(reference), sentence_lines(prediction))
    return {rouge_type: Rouge(*scores[rouge_type]) for rouge_type in ROUGE_TYPES}
