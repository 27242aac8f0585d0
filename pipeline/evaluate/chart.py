"""The bar chart beside a dataset report: ROUGE-1/2/L F per system with its 95% interval drawn, and
the published figures as hatched bars (no interval: papers give none). matplotlib (`itnews[chart]`)
is imported here only; without it the report says how to get the chart."""

from __future__ import annotations

from pathlib import Path

from itnews.evaluate.datasets import Published
from itnews.evaluate.report import TYPE_LABELS
from itnews.evaluate.scores import Evaluation

CHARTED = ("rouge1", "rouge2", "rougeL")


def chart_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def draw_chart(
    path: Path,
    title: str,
    evaluations: list[Evaluation],
    lang: str,
    published: tuple[Published, ...],
    software: str = "itnews",
) -> None:
    """A PNG at ``path``: one group of bars per ROUGE type, one bar per system and published figure;
    ``software`` is written in its text, where a rerun recognises its own chart."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt

    scored = [e for e in evaluations if e.languages.get(lang)]
    bars = len(scored) + len(published)
    width = 0.8 / max(bars, 1)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.2 + 0.5 * bars * len(CHARTED)), 4.2), dpi=110)
    for k, evaluation in enumerate(scored):
        scores = [evaluation.languages[lang].scores[t] for t in CHARTED]
        heights = [100 * s.fmeasure for s in scores]
        below = [100 * (s.fmeasure - s.ci_low) for s in scores]
        above = [100 * (s.ci_high - s.fmeasure) for s in scores]
        positions = [i + (k - (bars - 1) / 2) * width for i in range(len(CHARTED))]
        axes.bar(positions, heights, width, yerr=[below, above], capsize=3, label=evaluation.system)
    for k, figure_row in enumerate(published, start=len(scored)):
        heights = [getattr(figure_row, t) for t in CHARTED]
        positions = [i + (k - (bars - 1) / 2) * width for i in range(len(CHARTED))]
        axes.bar(positions, heights, width, hatch="//", fill=False, label=f"{figure_row.system} (published)")
    axes.set_xticks(range(len(CHARTED)), [TYPE_LABELS[t] for t in CHARTED])
    axes.set_ylabel("F, % (95% interval)")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(bars, 3), frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": software})
    plt.close(figure)
