"""Evaluate: ROUGE of summaries against reference summaries, with bootstrap confidence intervals.

Scores come from Google's ``rouge-score`` (ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum) in one of two modes:

- ``unicode`` (the default): the project tokenizer. rouge-score's own tokenizer keeps only ``[a-z0-9]``,
  so "però" becomes "per" and matches the preposition "per", and "dà" becomes "d" and matches the
  elided "d'". Ours keeps accented letters, splits elisions ("dell'azienda" -> "dell", "azienda") and
  stems with the Snowball stemmer of the summary's language.
- ``compat``: rouge-score's default tokenizer with its Porter stemmer (``use_stemmer=True``), the
  setting behind most published figures, so that our numbers can be set beside theirs.

ROUGE-Lsum needs one sentence per line; both modes split summaries with the project's Italian
segmenter (``itnews.ingest.split_sentences``), for English summaries too (it handles English
sentence ends; NLTK's punkt would need a data download).

Confidence intervals are percentile bootstraps over articles (1,000 resamples, 95%), as in
ROUGE-1.5.5 and rouge-score's ``BootstrapAggregator``, but drawn here from a seeded
``numpy.random.Generator``: the aggregator draws from numpy's global RNG, so its intervals change
from run to run unless the caller reseeds process-wide state, and it cannot resample two systems on
the same articles, which the paired comparison needs. Every problem with an input file raises
`InputError(item, reason)`; nothing here prints.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from itnews.records import Article, InputError, Result

if TYPE_CHECKING:
    from itnews.summarise import Summariser

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
COMPARED_TYPES = ("rouge1", "rouge2", "rougeL")  # the paired verdicts against the baseline
LANGUAGES = ("it", "en")
MODES = ("unicode", "compat")
SNOWBALL_LANGUAGES = {"it": "italian", "en": "english"}
BASELINE = "lead3"  # the classic news baseline every system is compared with
N_RESAMPLES = 1000
CONFIDENCE = 0.95
SEED = 0  # fixed, so that a report can be reproduced to the last digit
BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no significant difference"

WORD = re.compile(r"[^\W_]+")  # runs of Unicode letters and digits: \w without the underscore


class UnknownSystemError(ValueError):
    """A system name that `build_system` cannot map to a summariser (a usage error in the CLI)."""


# --- tokenizers -----------------------------------------------------------------------------


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
    from itnews.ingest import split_sentences

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


# --- bootstrap ------------------------------------------------------------------------------


def resample_indices(n: int, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(n_resamples, n) row indices drawn with replacement; the same for every call with equal arguments."""
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_ci(
    values: np.ndarray, *, n_resamples: int = N_RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-article ``values``."""
    values = np.asarray(values, dtype=float)
    means = values[resample_indices(len(values), n_resamples, seed)].mean(axis=1)
    return percentile_interval(means, confidence)


@dataclass
class PairedComparison:
    """System A against system B on the same articles, one ROUGE type's F-measure."""

    rouge_type: str
    n: int
    difference: float  # mean F of A minus mean F of B
    ci_low: float  # 95% bootstrap interval of the difference
    ci_high: float
    p_not_better: float  # fraction of resamples in which A's mean F is <= B's
    verdict: str  # BETTER or WORSE when the interval excludes zero, else NO_DIFFERENCE

    def to_dict(self) -> dict:
        record = asdict(self)
        del record["rouge_type"]
        return record


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    *,
    rouge_type: str = "rouge1",
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> PairedComparison:
    """Resample articles, not systems: both systems are scored on the same draw each time."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not len(a):
        raise ValueError("paired bootstrap needs two equally long, non-empty score lists")
    differences = (a - b)[resample_indices(len(a), n_resamples, seed)].mean(axis=1)
    low, high = percentile_interval(differences, confidence)
    verdict = BETTER if low > 0 else WORSE if high < 0 else NO_DIFFERENCE
    return PairedComparison(
        rouge_type=rouge_type,
        n=len(a),
        difference=float(np.mean(a - b)),
        ci_low=low,
        ci_high=high,
        p_not_better=float(np.mean(differences <= 0)),
        verdict=verdict,
    )


# --- input files ----------------------------------------------------------------------------


def read_jsonl(path: str) -> Iterator[tuple[str, dict]]:
    """``(item, record)`` per non-blank line, where item is ``path:lineno``; bad lines raise InputError."""
    file = Path(path)
    if not file.is_file():
        raise InputError(path, "no such file" if not file.exists() else "not a file")
    with file.open("rb") as handle:
        for lineno, raw in enumerate(handle, 1):
            item = f"{path}:{lineno}"
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(item, "not UTF-8") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(item, f"not valid JSON: {err.msg} (column {err.colno})") from None
            if not isinstance(record, dict):
                raise InputError(item, f"expected a JSON object, got {type(record).__name__}")
            yield item, record


def string_field(record: dict, key: str, item: str, *, required: bool) -> str | None:
    value = record.get(key)
    if value is None:
        if required:
            raise InputError(item, f"missing {key!r}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        expected = "a non-empty string" if required else "a string or null"
        raise InputError(item, f"{key!r} must be {expected}")
    return value


@dataclass
class Summaries:
    """Summaries by id, e.g. a system's predictions or the reference summaries."""

    source: str  # the file, or the system that wrote them
    ids: list[str]  # every id, in input order
    texts: dict[str, dict[str, str]]  # language -> id -> summary; no entry when an id has none

    @classmethod
    def from_results(cls, source: str, results: list[Result]) -> Summaries:
        ok = [r for r in results if r.status == "ok"]
        texts = {
            "it": {r.id: r.summary_it for r in ok if r.summary_it is not None},
            "en": {r.id: r.summary_en for r in ok if r.summary_en is not None},
        }
        return cls(source=source, ids=[r.id for r in ok], texts=texts)


def load_summaries(path: str) -> Summaries:
    """Read JSONL records ``{"id", "summary_it", "summary_en"}``; either summary may be missing or null."""
    ids: list[str] = []
    texts: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    seen: set[str] = set()
    for item, record in read_jsonl(path):
        record_id = string_field(record, "id", item, required=True)
        if record_id in seen:
            raise InputError(item, f"duplicate id {record_id!r}")
        seen.add(record_id)
        ids.append(record_id)
        for lang in LANGUAGES:
            summary = string_field(record, f"summary_{lang}", item, required=False)
            if summary is not None:
                texts[lang][record_id] = summary
    return Summaries(source=path, ids=ids, texts=texts)


@dataclass
class IndexEntry:
    """One corpus article, as listed in ``corpus/index.jsonl``."""

    id: str
    title: str | None
    path: str  # relative to the corpus folder (the index file's folder)
    topic: str | None


def load_index(path: str) -> list[IndexEntry]:
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for item, record in read_jsonl(path):
        entry = IndexEntry(
            id=string_field(record, "id", item, required=True),
            title=string_field(record, "title", item, required=False),
            path=string_field(record, "path", item, required=True),
            topic=string_field(record, "topic", item, required=False),
        )
        if entry.id in seen:
            raise InputError(item, f"duplicate id {entry.id!r}")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def read_corpus(index_path: str) -> list[Article | InputError]:
    """Each indexed article, carrying the index's id, or the InputError that explains why there is none."""
    from itnews.ingest import read_article

    corpus_dir = Path(index_path).parent
    read: list[Article | InputError] = []
    for entry in load_index(index_path):
        try:
            article = read_article(str(corpus_dir / entry.path))
        except InputError as err:
            read.append(err)
            continue
        article.id = entry.id  # references are keyed by the index id, not the file name
        read.append(article)
    return read


# --- scoring --------------------------------------------------------------------------------


@dataclass
class Aggregate:
    """One ROUGE type over a set of articles: mean scores (fractions) and the F-measure's 95% CI."""

    precision: float
    recall: float
    fmeasure: float
    ci_low: float
    ci_high: float


@dataclass
class LanguageScores:
    ids: list[str]  # the scored ids: those with both a prediction and a reference
    scores: dict[str, Aggregate]  # by ROUGE type
    items: dict[str, np.ndarray]  # by ROUGE type: one (precision, recall, F) row per id, as `ids`

    def fmeasures(self, rouge_type: str, ids: list[str]) -> np.ndarray:
        row = {item_id: i for i, item_id in enumerate(self.ids)}
        return self.items[rouge_type][[row[item_id] for item_id in ids], 2]


@dataclass
class Coverage:
    """Ids that have a summary in a language on one side only: reported, never scored."""

    predictions_only: list[str]
    references_only: list[str]


@dataclass
class Evaluation:
    """A set of predictions scored against the references, per language."""

    mode: str
    languages: dict[str, LanguageScores | None]  # None: no id has both a prediction and a reference
    missing: dict[str, Coverage]
    system: str | None = None
    vs_baseline: dict[str, dict[str, PairedComparison] | None] | None = None  # language -> ROUGE type

    def to_dict(self) -> dict:
        record: dict = {"system": self.system} if self.system is not None else {}
        record["n"] = {lang: len(scores.ids) if scores else 0 for lang, scores in self.languages.items()}
        for lang, scores in self.languages.items():
            record[lang] = (
                {rouge_type: asdict(aggregate) for rouge_type, aggregate in scores.scores.items()}
                if scores
                else None
            )
        record["mode"] = self.mode
        record["missing"] = {lang: asdict(coverage) for lang, coverage in self.missing.items()}
        if self.system is not None:
            record[f"vs_{BASELINE}"] = (
                None
                if self.vs_baseline is None
                else {
                    lang: {t: c.to_dict() for t, c in comparisons.items()} if comparisons else None
                    for lang, comparisons in self.vs_baseline.items()
                }
            )
        return record


def score_language(
    predictions: dict[str, str], references: dict[str, str], ids: list[str], *, language: str, mode: str
) -> LanguageScores:
    items = {rouge_type: np.zeros((len(ids), 3)) for rouge_type in ROUGE_TYPES}
    for row, item_id in enumerate(ids):
        for rouge_type, score in score_pair(
            references[item_id], predictions[item_id], language=language, mode=mode
        ).items():
            items[rouge_type][row] = (score.precision, score.recall, score.fmeasure)
    scores = {}
    for rouge_type, values in items.items():
        precision, recall, fmeasure = values.mean(axis=0)
        low, high = bootstrap_ci(values[:, 2])
        scores[rouge_type] = Aggregate(float(precision), float(recall), float(fmeasure), low, high)
    return LanguageScores(ids=ids, scores=scores, items=items)


def evaluate(
    predictions: Summaries, references: Summaries, *, mode: str = "unicode", system: str | None = None
) -> Evaluation:
    """Score each language on the ids that have both a prediction and a reference in it."""
    languages: dict[str, LanguageScores | None] = {}
    missing: dict[str, Coverage] = {}
    for lang in LANGUAGES:
        predicted, referenced = predictions.texts.get(lang, {}), references.texts.get(lang, {})
        ids = [item_id for item_id in references.ids if item_id in predicted and item_id in referenced]
        missing[lang] = Coverage(
            predictions_only=[i for i in predictions.ids if i in predicted and i not in referenced],
            references_only=[i for i in references.ids if i in referenced and i not in predicted],
        )
        languages[lang] = (
            score_language(predicted, referenced, ids, language=lang, mode=mode) if ids else None
        )
    return Evaluation(mode=mode, languages=languages, missing=missing, system=system)


def compare(a: Evaluation, b: Evaluation) -> dict[str, dict[str, PairedComparison] | None]:
    """Paired bootstrap of A against B per language and ROUGE type, on the ids both scored."""
    comparisons: dict[str, dict[str, PairedComparison] | None] = {}
    for lang in LANGUAGES:
        scores_a, scores_b = a.languages.get(lang), b.languages.get(lang)
        in_b = set(scores_b.ids) if scores_b else set()
        shared = [i for i in scores_a.ids if i in in_b] if scores_a else []
        comparisons[lang] = (
            {
                t: paired_bootstrap(
                    scores_a.fmeasures(t, shared), scores_b.fmeasures(t, shared), rouge_type=t
                )
                for t in COMPARED_TYPES
            }
            if shared
            else None
        )
    return comparisons


# --- systems --------------------------------------------------------------------------------


def build_system(name: str) -> Summariser:
    """The one place that maps a system name to a summariser."""
    from pathlib import Path

    from itnews.extractive import METHODS
    from itnews.presets import load_presets
    from itnews.summarise import Summariser, SummaryOptions

    if name in METHODS:
        return Summariser(SummaryOptions(method=name, languages=("it",)))
    presets, _ = load_presets()
    if name in presets or "/" in name or Path(name).is_dir():  # a preset, hub id or model directory
        return Summariser(SummaryOptions(model=name))
    raise UnknownSystemError(f"unknown system {name!r}; choose from {', '.join([*METHODS, *presets])}")


def build_systems(names: list[str]) -> dict[str, Summariser]:
    """The named systems, and the baseline first when it is not named; all built before any work."""
    ordered = names if BASELINE in names else [BASELINE, *names]
    return {name: build_system(name) for name in dict.fromkeys(ordered)}


def evaluate_systems(
    systems: dict[str, Summariser], articles: list[Article], references: Summaries, *, mode: str = "unicode"
) -> list[Evaluation]:
    """Run each system over the articles and score it, with its paired comparison against the baseline."""
    if BASELINE not in systems:
        raise ValueError(f"the systems must include the baseline {BASELINE!r}")
    evaluations = [
        evaluate(
            Summaries.from_results(name, summariser.summarise(articles)), references, mode=mode, system=name
        )
        for name, summariser in systems.items()
    ]
    baseline = next(e for e in evaluations if e.system == BASELINE)
    for evaluation in evaluations:
        if evaluation is not baseline:
            evaluation.vs_baseline = compare(evaluation, baseline)
    return evaluations


# --- report ---------------------------------------------------------------------------------

TYPE_LABELS = {"rouge1": "R-1", "rouge2": "R-2", "rougeL": "R-L", "rougeLsum": "R-Lsum"}
LANGUAGE_NAMES = {"it": "Italian", "en": "English"}


def percent(value: float) -> str:
    return f"{100 * value:.2f}"


def interval(aggregate: Aggregate) -> str:
    return f"{percent(aggregate.fmeasure)} [{percent(aggregate.ci_low)}, {percent(aggregate.ci_high)}]"


def verdict_cell(comparisons: dict[str, PairedComparison] | None) -> str:
    if not comparisons:
        return "—"
    return "; ".join(
        f"{TYPE_LABELS[t]} {c.verdict} ({100 * c.difference:+.2f}, p={c.p_not_better:.3f})"
        for t, c in comparisons.items()
    )


def render_markdown(evaluations: list[Evaluation], *, command: str, date: str) -> str:
    """The report: per language, one row per system, F-measures with their 95% CIs and the verdicts."""
    mode = evaluations[0].mode if evaluations else "unicode"
    tokenizer = (
        "rouge-score's default ASCII tokenizer with the Porter stemmer, as `--compat` asks"
        if mode == "compat"
        else "the project's Unicode tokenizer with Snowball stems"
    )
    lines = [
        "# ROUGE evaluation",
        "",
        f"- Command: `{command}`",
        f"- Date: {date}",
        f"- Mode: `{mode}` ({tokenizer})",
        f"- Scores: mean F-measure over articles, in percent, with the {CONFIDENCE:.0%} percentile bootstrap "
        f"interval ({N_RESAMPLES:,} resamples of the articles, seed {SEED}).",
        f"- Verdicts: paired bootstrap against `{BASELINE}` on the same articles; *better*/*worse* when the "
        f"{CONFIDENCE:.0%} interval of the difference excludes zero; p is the fraction of resamples in which "
        f"the system does not beat `{BASELINE}`.",
        "- n: the articles that have both a summary from the system and a reference, in that language.",
    ]
    for lang in LANGUAGES:
        scored = [e for e in evaluations if e.languages.get(lang)]
        lines += ["", f"## {LANGUAGE_NAMES[lang]}", ""]
        if not scored:
            lines.append("No system produced summaries in this language that have references.")
            continue
        header = ["System", "n", *(f"{TYPE_LABELS[t]} F" for t in ROUGE_TYPES), f"vs {BASELINE}"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for evaluation in scored:
            scores = evaluation.languages[lang]
            comparisons = (evaluation.vs_baseline or {}).get(lang)
            cells = [
                f"`{evaluation.system}`",
                str(len(scores.ids)),
                *(interval(scores.scores[t]) for t in ROUGE_TYPES),
                verdict_cell(comparisons),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        unscored = [e.system for e in evaluations if not e.languages.get(lang)]
        if unscored:
            lines += [
                "",
                "Not scored (no summaries in this language): " + ", ".join(f"`{s}`" for s in unscored),
            ]
    return "\n".join(lines) + "\n"
