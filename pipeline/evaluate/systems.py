"""Systems: summarisers named on `itnews eval --system`, run over a corpus and scored.

Each system is a chain of the pipeline's steps (`build_system`), run by the local runner over copies
of the same cleaned articles, scored against the references (`itnews.evaluate.scores`) and compared
with the Lead-3 baseline; the guard's findings give each system's faithfulness figures.
"""

from __future__ import annotations

from itnews.core.record import Record
from itnews.evaluate.scores import BASELINE, LANGUAGES, Evaluation, Summaries, compare, evaluate


class UnknownSystemError(ValueError):
    """A system name that `build_system` cannot map to a summariser (a usage error in the CLI)."""


def build_system(name: str) -> list:
    """The one place that maps a system name to the steps that summarise (models load here)."""
    from pathlib import Path

    from itnews.summarise.extractive import METHODS
    from itnews.summarise.presets import load_presets
    from itnews.summarise.steps import SummaryOptions, summary_steps

    if name in METHODS:
        return summary_steps(SummaryOptions(method=name, languages=("it",)))
    presets, _ = load_presets()
    if name in presets or "/" in name or Path(name).is_dir():  # a preset, hub id or model directory
        return summary_steps(SummaryOptions(model=name))
    raise UnknownSystemError(f"unknown system {name!r}; choose from {', '.join([*METHODS, *presets])}")


def build_systems(names: list[str]) -> dict[str, list]:
    """The named systems, and the baseline first when it is not named; all built before any work."""
    ordered = names if BASELINE in names else [BASELINE, *names]
    return {name: build_system(name) for name in dict.fromkeys(ordered)}


def evaluate_systems(
    systems: dict[str, list], articles: list[Record], references: Summaries, *, mode: str = "unicode"
) -> list[Evaluation]:
    """Run each system's steps over (copies of) the cleaned articles and score it, with its paired
    comparison against the baseline."""
    import copy

    from itnews.core.runner import Collect, run

    if BASELINE not in systems:
        raise ValueError(f"the systems must include the baseline {BASELINE!r}")
    evaluations = []
    for name, steps in systems.items():
        collected = Collect()
        run(copy.deepcopy(articles), steps, collected)
        summaries = Summaries.from_records(name, collected.records)
        evaluation = evaluate(summaries, references, mode=mode, system=name)
        evaluation.faithfulness = {lang: faithfulness_scores(collected.records, lang) for lang in LANGUAGES}
        evaluations.append(evaluation)
    baseline = next(e for e in evaluations if e.system == BASELINE)
    for evaluation in evaluations:
        if evaluation is not baseline:
            evaluation.vs_baseline = compare(evaluation, baseline)
    return evaluations


def faithfulness_scores(records: list[Record], lang: str) -> dict | None:
    """Of the summaries the guard checked in ``lang``: how many, the share with an unsupported
    fact, and the mean number of unsupported facts per summary. None when none was checked."""
    checked = [
        checks[lang]
        for record in records
        if record.ok and (checks := record.checks.get("faithfulness")) and checks.get(lang) is not None
    ]
    if not checked:
        return None
    unsupported = [sum(fact["count"] for fact in check["unsupported"]) for check in checked]
    return {
        "summaries": len(checked),
        "with_unsupported": sum(n > 0 for n in unsupported) / len(checked),
        "mean_unsupported": sum(unsupported) / len(checked),
    }
