"""A run of systems over a dataset, kept in a folder: one predictions file per system, written by the
batch sink as the summaries are made (so a killed run resumes where it stopped), then read back and
scored against the dataset's references with both tokenizers (`score_run`).

The folder holds ``<system>.jsonl`` per system and the report (``report.md``, ``report.json`` and
a chart per reference language, ``report-it.png``); `itnews eval --dataset` writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from itnews.core.record import Record
from itnews.core.sources import read_jsonl
from itnews.evaluate.datasets import Published
from itnews.evaluate.scores import Evaluation, Summaries
from itnews.evaluate.systems import compared_with_baseline, score_system

# "compat" first: rouge-score's own tokenizer gives the figures papers report, which the report
# puts beside the published ones; "unicode" is the project's Italian tokenizer.
MODES = ("compat", "unicode")


UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w.-]+")


def file_name(name: str) -> str:
    """A system's or dataset's name as a file name: "ARTeLab/mbart" -> ARTeLab_mbart."""
    return UNSAFE_IN_FILE_NAMES.sub("_", name)


def predictions_path(folder: Path, system: str) -> Path:
    return folder / f"{file_name(system)}.jsonl"


def read_predictions(path: Path) -> list[Record]:
    """The records a system's run wrote, done and failed."""
    return [Record.from_dict(line) for _, line in read_jsonl(str(path))] if path.exists() else []


@dataclass
class RunScores:
    """A dataset run scored: per tokenizer mode, one evaluation per system (the baseline first)."""

    dataset: str
    split: str | None  # None for a file, which has no splits
    rows: int  # the rows read (and, with --limit, at most that many)
    evaluations: dict[str, list[Evaluation]]  # mode -> systems
    errors: dict[str, list[str]]  # system, or "references" -> "place: reason" of each row that failed
    published: tuple[Published, ...] = ()
    reference_languages: tuple[str, ...] = ("it",)
    charts: dict[str, str] = field(default_factory=dict)  # language -> the chart's file, beside the report

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "rows": self.rows,
            "systems": {
                mode: [e.to_dict() for e in evaluations] for mode, evaluations in self.evaluations.items()
            },
            "errors": self.errors,
            "published": [vars(p) for p in self.published],
        }


def score_run(
    folder: Path,
    systems: list[str],
    references: dict[str, dict[str, str]],
    reference_errors: list[str],
    **described,
) -> RunScores:
    """Read each system's predictions back from ``folder`` and score them against ``references``
    (language -> id -> reference) in both modes. ``described``: dataset, split, rows, published."""
    ids = list(dict.fromkeys(i for texts in references.values() for i in texts))
    summaries = Summaries(source="references", ids=ids, texts=references)
    records = {system: read_predictions(predictions_path(folder, system)) for system in systems}
    errors = {"references": reference_errors} if reference_errors else {}
    errors |= {
        system: [r.error for r in rows if not r.ok]
        for system, rows in records.items()
        if any(not r.ok for r in rows)
    }
    evaluations = {
        mode: compared_with_baseline([score_system(s, records[s], summaries, mode) for s in systems])
        for mode in MODES
    }
    return RunScores(
        evaluations=evaluations, errors=errors, reference_languages=tuple(references), **described
    )
