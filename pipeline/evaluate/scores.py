"""Scores: summaries against reference summaries, per language, and two systems compared.

Predictions come from a JSONL file (``{"id", "summary_it", "summary_en"}``) or from running
systems over a corpus (`itnews.evaluate.systems`). ROUGE per article (`itnews.evaluate.rouge`),
means with bootstrap intervals and paired comparisons against Lead-3 (`itnews.evaluate.bootstrap`).
Every problem with an input file raises `InputError(item, reason)`; nothing here prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from itnews.core.record import InputError, Record, valid_text
from itnews.core.sources import read_jsonl
from itnews.evaluate.bootstrap import PairedComparison, bootstrap_ci, paired_bootstrap
from itnews.evaluate.rouge import ROUGE_TYPES, score_pair

COMPARED_TYPES = ("rouge1", "rouge2", "rougeL")  # the paired verdicts against the baseline
LANGUAGES = ("it", "en")
BASELINE = "lead3"  # the classic news baseline every system is compared with


def string_field(record: dict, key: str, item: str, *, required: bool) -> str | None:
    value = record.get(key)
    if value is None:
        if required:
            raise InputError(item, f"missing {key!r}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        expected = "a non-empty string" if required else "a string or null"
        raise InputError(item, f"{key!r} must be {expected}")
    return valid_text(value)


@dataclass
class Summaries:
    """Summaries by id, e.g. a system's predictions or the reference summaries."""

    source: str  # the file, or the system that wrote them
    ids: list[str]  # every id, in input order
    texts: dict[str, dict[str, str]]  # language -> id -> summary; no entry when an id has none

    @classmethod
    def from_records(cls, source: str, records: list[Record]) -> Summaries:
        ok = [r for r in records if r.ok]
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
    faithfulness: dict[str, dict | None] | None = None  # language -> `faithfulness_scores`; systems only

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
            record["faithfulness"] = self.faithfulness
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
