"""Reports of an evaluation: the Markdown files of `itnews eval --system` and `--dataset`, and the
terminal tables.

The systems table is built once (`system_rows`) and rendered to Markdown or to a rich table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itnews.evaluate.bootstrap import CONFIDENCE, N_RESAMPLES, SEED, PairedComparison
from itnews.evaluate.rouge import ROUGE_TYPES
from itnews.evaluate.scores import BASELINE, LANGUAGES, Aggregate, Evaluation

if TYPE_CHECKING:
    from itnews.evaluate.runs import RunScores

TYPE_LABELS = {"rouge1": "R-1", "rouge2": "R-2", "rougeL": "R-L", "rougeLsum": "R-Lsum"}
LANGUAGE_NAMES = {"it": "Italian", "en": "English"}
VERDICT_SHORT = {"better": "better", "worse": "worse", "no significant difference": "n.s."}
MAX_LISTED_IDS = 10  # a warning line names this many ids; --json lists them all


def percent(value: float) -> str:
    return f"{100 * value:.2f}"


def interval(aggregate: Aggregate, separator: str = " ") -> str:
    low, high = percent(aggregate.ci_low), percent(aggregate.ci_high)
    return f"{percent(aggregate.fmeasure)}{separator}[{low}, {high}]"


def verdicts(comparisons: dict[str, PairedComparison] | None, *, markdown: bool) -> str:
    if not comparisons:
        return "—"
    if markdown:
        return "; ".join(
            f"{TYPE_LABELS[t]} {c.verdict} ({100 * c.difference:+.2f}, p={c.p_not_better:.3f})"
            for t, c in comparisons.items()
        )
    return "\n".join(
        f"{TYPE_LABELS[t]} {100 * c.difference:+.2f} {VERDICT_SHORT[c.verdict]}"
        for t, c in comparisons.items()
    )


def system_rows(evaluations: list[Evaluation], lang: str, *, markdown: bool) -> list[list[str]]:
    """One row per system scored in ``lang``: name, n, F with its interval per ROUGE type, verdicts."""
    rows = []
    for evaluation in evaluations:
        scores = evaluation.languages[lang]
        name = f"`{evaluation.system}`" if markdown else str(evaluation.system)
        cells = [interval(scores.scores[t], " " if markdown else "\n") for t in ROUGE_TYPES]
        comparisons = (evaluation.vs_baseline or {}).get(lang)
        rows.append([name, str(len(scores.ids)), *cells, verdicts(comparisons, markdown=markdown)])
    return rows


TOKENIZERS = {
    "compat": "rouge-score's default ASCII tokenizer with the Porter stemmer, as `--compat` asks",
    "unicode": "the project's Unicode tokenizer with Snowball stems",
}
# How every report begins (the command follows): `itnews eval --report` rewrites a file only if it
# begins so; a dataset's report begins with RUN_REPORT_START and its name.
REPORT_START = "# ROUGE evaluation\n\n- Command: `itnews eval"
RUN_REPORT_START = "# ROUGE on "


def render_markdown(evaluations: list[Evaluation], *, command: str, date: str) -> str:
    """The report: per language, one row per system, F-measures with their 95% CIs and the verdicts."""
    mode = evaluations[0].mode if evaluations else "unicode"
    lines = [
        "# ROUGE evaluation",
        "",
        f"- Command: `{command}`",
        f"- Date: {date}",
        f"- Mode: `{mode}` ({TOKENIZERS[mode]})",
        *method_lines(),
    ]
    for lang in LANGUAGES:
        scored = [e for e in evaluations if e.languages.get(lang)]
        lines += ["", f"## {LANGUAGE_NAMES[lang]}", ""]
        if not scored:
            lines.append("No system produced summaries in this language that have references.")
            continue
        lines += systems_table(scored, lang)
        lines += faithfulness_lines(scored, lang)
        unscored = [e.system for e in evaluations if not e.languages.get(lang)]
        if unscored:
            lines += [
                "",
                "Not scored (no summaries in this language): " + ", ".join(f"`{s}`" for s in unscored),
            ]
    return "\n".join(lines) + "\n"


RUN_TABLES = {
    "compat": "rouge-score's tokenizer (`--compat`): comparable with the published figures",
    "unicode": "The project's Italian tokenizer",
}


def render_run_markdown(run: RunScores, *, command: str, date: str, chart_note: str | None = None) -> str:
    """The report of `itnews eval --dataset`: per reference language, the systems with both
    tokenizers (the published figures beside the `--compat` ones, which are comparable with them),
    the guard's figures, the chart, and the rows that could not be scored."""
    lines = [
        f"{RUN_REPORT_START}{run.dataset}" + (f" ({run.split})" if run.split else ""),
        "",
        f"- Command: `{command}`",
        f"- Date: {date}",
        f"- Rows: {run.rows:,}",
        *method_lines(),
        "- Published: figures of papers on the same split, as they report them (no interval); "
        "compare them with the first table, whose tokenizer is theirs.",
    ]
    for lang in run.reference_languages:
        lines += ["", f"## {LANGUAGE_NAMES[lang]}"]
        for mode, evaluations in run.evaluations.items():
            scored = [e for e in evaluations if e.languages.get(lang)]
            lines += ["", f"### {RUN_TABLES[mode]}", ""]
            if not scored:
                lines.append("No system produced summaries in this language.")
                continue
            lines += systems_table(scored, lang)
            if mode == "compat" and lang == "it":
                lines += [
                    f"| {p.system} (published: {p.source}) | — | {p.rouge1:.2f} | {p.rouge2:.2f} | "
                    f"{p.rougeL:.2f} | — | — |"
                    for p in run.published
                ]
        lines += faithfulness_lines(run.evaluations["unicode"], lang)
        if lang in run.charts:
            lines += ["", f"![ROUGE F with 95% intervals, {LANGUAGE_NAMES[lang]}]({run.charts[lang]})"]
    if chart_note:
        lines += ["", chart_note]
    lines += ["", "## Rows not scored", ""]
    if not run.errors:
        lines.append("None: every row has a reference and every system summarised it.")
    alike: dict[tuple[str, ...], list[str]] = {}  # rows every system failed on are listed once
    for where, problems in run.errors.items():
        alike.setdefault(tuple(problems), []).append(f"`{where}`")
    for problems, places in alike.items():
        lines.append(f"- {', '.join(places)}: {len(problems)} row{'s' * (len(problems) != 1)}")
        lines += [f"  - {problem}" for problem in problems[:MAX_LISTED_IDS]]
        if len(problems) > MAX_LISTED_IDS:
            lines.append(f"  - … ({len(problems) - MAX_LISTED_IDS} more in the report's JSON)")
    return "\n".join(lines) + "\n"


def method_lines() -> list[str]:
    return [
        f"- Scores: mean F-measure over articles, in percent, with the {CONFIDENCE:.0%} percentile bootstrap "
        f"interval ({N_RESAMPLES:,} resamples of the articles, seed {SEED}).",
        f"- Verdicts: paired bootstrap against `{BASELINE}` on the same articles; *better*/*worse* when the "
        f"{CONFIDENCE:.0%} interval of the difference excludes zero; p is the fraction of resamples in which "
        f"the system does not beat `{BASELINE}`.",
        "- n: the articles that have both a summary from the system and a reference, in that language.",
        "- Faithfulness: the guard's check of every figure, date and name of each summary against its "
        "article (`itnews.facts.guard`).",
    ]


def systems_table(evaluations: list[Evaluation], lang: str) -> list[str]:
    header = ["System", "n", *(f"{TYPE_LABELS[t]} F" for t in ROUGE_TYPES), f"vs {BASELINE}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in system_rows(evaluations, lang, markdown=True)]


def faithfulness_lines(evaluations: list[Evaluation], lang: str) -> list[str]:
    """The guard's findings per system: summaries with a figure, date or name not in the article."""
    rows = [(e.system, e.faithfulness.get(lang)) for e in evaluations if e.faithfulness]
    rows = [(system, scores) for system, scores in rows if scores]
    if not rows:
        return []
    lines = [
        "",
        "| System | summaries checked | with an unsupported fact | unsupported facts per summary |",
        "|---|---|---|---|",
    ]
    for system, scores in rows:
        lines.append(
            f"| `{system}` | {scores['summaries']} | {scores['with_unsupported']:.1%} | "
            f"{scores['mean_unsupported']:.2f} |"
        )
    return lines


def print_systems_table(evaluations: list[Evaluation]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for lang in LANGUAGES:
        scored = [e for e in evaluations if e.languages[lang] is not None]
        if not scored:
            continue
        table = Table(title=f"{lang}: ROUGE F in %, 95% CI (mode {evaluations[0].mode})")
        for column in ("system", "n", *(TYPE_LABELS[t] for t in ROUGE_TYPES), f"vs {BASELINE}"):
            table.add_column(column, no_wrap=column in ("system", f"vs {BASELINE}"))
        for row in system_rows(scored, lang, markdown=False):
            table.add_row(*row)
        console.print(table)


def print_scores_table(evaluation: Evaluation, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("lang", "n", "ROUGE", "P", "R", "F", "95% CI of F"):
        table.add_column(column, justify="left" if column in ("lang", "ROUGE") else "right")
    for lang in LANGUAGES:
        scores = evaluation.languages[lang]
        if scores is None:
            table.add_row(
                lang, "0", "not scored: no id has both a prediction and a reference", "", "", "", ""
            )
            continue
        for rouge_type in ROUGE_TYPES:
            s = scores.scores[rouge_type]
            ci = f"[{percent(s.ci_low)}, {percent(s.ci_high)}]"
            row = (percent(s.precision), percent(s.recall), percent(s.fmeasure), ci)
            table.add_row(lang, str(len(scores.ids)), rouge_type, *row)
    Console().print(table)


def missing_warnings(evaluation: Evaluation) -> list[str]:
    """A warning per language in which some ids have a summary on one side only."""
    lines = []
    for lang, coverage in evaluation.missing.items():
        if evaluation.languages[lang] is None:
            continue  # nothing scored in this language: the record says so (null), ids or not
        for ids, side in (
            (coverage.predictions_only, "only in predictions (no reference), not scored"),
            (coverage.references_only, "only in references (no prediction), not scored"),
        ):
            if ids:
                listed = ", ".join(ids[:MAX_LISTED_IDS]) + (
                    f", … ({len(ids) - MAX_LISTED_IDS} more)" if len(ids) > MAX_LISTED_IDS else ""
                )
                lines.append(f"{lang}: {len(ids)} id{'s' * (len(ids) != 1)} {side}: {listed}")
    return lines
