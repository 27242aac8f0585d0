"""Systems: summarisers named on `itnews eval --system`, run over a corpus and scored.

Each system is a chain of the pipeline's steps (`system_options`, `build_systems`), run by the local
runner over copies of the same cleaned articles, scored against the references
(`itnews.evaluate.scores`) and compared with the Lead-3 baseline; the guard's findings give each
system's faithfulness figures.
"""

from __future__ import annotations

from itnews.core.record import Record
from itnews.evaluate.scores import BASELINE, LANGUAGES, Evaluation, Summaries, compare, evaluate


class UnknownSystemError(ValueError):
    """A system name that `system_options` cannot map to a summariser (a usage error in the CLI)."""


def system_options(name: str, languages: tuple[str, ...] = ("it", "en"), **settings):
    """The one place that maps a system name to its summary options: an extractive method (Italian
    only), or a preset, hub id or model directory. ``settings``: SummaryOptions' other fields
    (``words``, ``backend``, ``compute_type``)."""
    from pathlib import Path

    from itnews.summarise.extractive import METHODS
    from itnews.summarise.presets import load_presets
    from itnews.summarise.steps import SummaryOptions

    if name in METHODS:
        return SummaryOptions(method=name, languages=("it",), **settings)
    presets, _ = load_presets()
    if name in presets or "/" in name or Path(name).is_dir():  # a preset, hub id or model directory
        return SummaryOptions(model=name, languages=languages, **settings)
    raise UnknownSystemError(f"unknown system {name!r}; choose from {', '.join([*METHODS, *presets])}")


def with_baseline(names: list[str]) -> list[str]:
    """The names, the baseline first when it is not named, each once."""
    return list(dict.fromkeys(names if BASELINE in names else [BASELINE, *names]))


def build_systems(names: list[str]) -> dict[str, list]:
    """The named systems' steps, and the baseline's; all built (models loaded) before any work."""
    from itnews.summarise.steps import summary_steps

    return {name: summary_steps(system_options(name)) for name in with_baseline(names)}


def evaluate_systems(
    systems: dict[str, list], articles: list[Record], references: Summaries, *, mode: str = "unicode"
) -> list[Evaluation]:
    """Run each system's steps over (copies of) the cleaned articles and score it, with its paired
    comparison against the baseline."""
    import copy

    from itnews.core.runner import Collect, run

    evaluations = []
    for name, steps in systems.items():
        collected = Collect()
        run(copy.deepcopy(articles), steps, collected)
        evaluations.append(score_system(name, collected.records, references, mode))
    return compared_with_baseline(evaluations)


def score_system(name: str, records: list[Record], references: Summaries, mode: str) -> Evaluation:
    """A system's summaries (its records) against the references, with the guard's figures."""
    evaluation = evaluate(Summaries.from_records(name, records), references, mode=mode, system=name)
    evaluation.faithfulness = {lang: faithfulness_scores(records, lang) for lang in LANGUAGES}
    return evaluation


def compared_with_baseline(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Each evaluation with its paired comparison against the baseline's."""
    baseline = next((e for e in evaluations if e.system == BASELINE), None)
    if baseline is None:
        raise ValueError(f"the systems must include the baseline {BASELINE!r}")
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
