"""`itnews eval` (ROUGE of systems, or of a predictions file) and `itnews check` (the faithfulness
of summaries made anywhere)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from itnews.cli import JsonFlag, Paths, app, finish, report, run_or_stop

# --- eval -----------------------------------------------------------------------------------


@app.command("eval")
def eval_command(
    references: Annotated[
        str, typer.Option("--references", help="Reference summaries, JSONL: id, summary_it, summary_en.")
    ],
    predictions: Annotated[
        str | None,
        typer.Option("--predictions", help="Summaries to score, JSONL: id, summary_it, summary_en."),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            help="Run these systems over the corpus and compare them (comma-separated): "
            "lead1, lead2, lead3, extractive. lead3, the baseline of the verdicts, always runs.",
        ),
    ] = None,
    corpus: Annotated[
        str, typer.Option("--corpus", help="Corpus index for --system, JSONL: id, title, path, topic.")
    ] = "corpus/index.jsonl",
    report_path: Annotated[str, typer.Option("--report", help="Markdown report written by --system.")] = (
        "eval/report.md"
    ),
    as_json: JsonFlag = False,
    compat: Annotated[
        bool,
        typer.Option(
            "--compat", help="rouge-score's ASCII tokenizer and Porter stemmer, as in published figures."
        ),
    ] = False,
) -> None:
    """ROUGE-1/2/L/Lsum with 95% bootstrap CIs, of a predictions file or of systems run on the corpus."""
    from itnews.core.record import InputError
    from itnews.evaluate.systems import UnknownSystemError

    mode = "compat" if compat else "unicode"
    if (predictions is None) == (system is None):
        raise typer.BadParameter("give either --predictions FILE or --system NAME[,NAME...]")
    try:
        if predictions is not None:
            score_predictions(predictions, references, mode, as_json)
        else:
            names = [name.strip() for name in system.split(",") if name.strip()]
            failed = score_systems(names, references, corpus, mode, report_path, as_json)
            raise typer.Exit(1 if failed else 0)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except UnknownSystemError as err:
        raise typer.BadParameter(str(err), param_hint="--system") from None


def score_predictions(predictions: str, references: str, mode: str, as_json: bool) -> None:
    from itnews.core.console import print_json
    from itnews.core.record import InputError
    from itnews.evaluate.report import missing_warnings, print_scores_table
    from itnews.evaluate.scores import evaluate, load_summaries

    reference_summaries = load_summaries(references)
    scored = evaluate(load_summaries(predictions), reference_summaries, mode=mode)
    if all(scores is None for scores in scored.languages.values()):
        raise InputError(
            predictions, f"no id has both a prediction and a reference in {references}: nothing to score"
        )
    for warning in missing_warnings(scored):
        report("warning", predictions, warning)
    if as_json:
        print_json(scored.to_dict())
    else:
        print_scores_table(scored, f"ROUGE in % of {predictions} (mode {mode})")


def score_systems(names, references: str, corpus: str, mode: str, report_path: str, as_json: bool) -> bool:
    """Build the systems (models load first), clean the corpus once, run and score each system,
    write the report. True when something failed (an article that could not be read, the report)."""
    import datetime
    import shlex

    from itnews.core.console import print_json, report_failed
    from itnews.core.outputs import claim, starts_with
    from itnews.core.runner import Collect
    from itnews.core.sources import index_source
    from itnews.evaluate.report import REPORT_START, missing_warnings, print_systems_table, render_markdown
    from itnews.evaluate.scores import load_summaries
    from itnews.evaluate.systems import build_systems, evaluate_systems
    from itnews.ingest.clean import Clean
    from itnews.summarise.presets import ModelUnavailable

    Path(report_path).parent.mkdir(parents=True, exist_ok=True)
    held = claim(  # before any work, and held until written
        Path(report_path),
        inputs=[references, corpus],
        option="--report",
        own=starts_with(REPORT_START.encode()),
        what="an `itnews eval` report",
    )
    try:
        systems = build_systems(names)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    reference_summaries = load_summaries(references)
    cleaned = Collect()
    run_or_stop(index_source(corpus), [Clean()], cleaned)
    for record in cleaned.records:
        if not record.ok:
            report_failed(record)
    failed = not all(record.ok for record in cleaned.records)
    evaluations = evaluate_systems(systems, cleaned.records, reference_summaries, mode=mode)
    for evaluation in evaluations:
        for warning in missing_warnings(evaluation):
            report("warning", evaluation.system, warning)
    command = "itnews " + shlex.join(sys.argv[1:])
    markdown = render_markdown(evaluations, command=command, date=datetime.date.today().isoformat())
    try:
        held.write(markdown.encode("utf-8"))
    except OSError as err:
        report("error", report_path, f"cannot write the report: {err.strerror or err}")
        failed = True
    if as_json:
        for evaluation in evaluations:
            print_json(evaluation.to_dict())
    else:
        print_systems_table(evaluations)
        print(f"report: {report_path}")
    return failed


# --- check ----------------------------------------------------------------------------------


@app.command()
def check(
    paths: Paths,
    summaries: Annotated[
        str,
        typer.Option(
            "--summaries",
            help="Summaries made anywhere, JSONL: id (the article's file stem), summary_it, summary_en.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Check that every figure, date and name of each summary is in its article. Exit 0 when every
    fact is supported, 1 when any is not (or an input is bad): a gate for someone's CI."""
    from itnews.core.console import CheckPrinter
    from itnews.core.record import InputError
    from itnews.core.sources import paths_source
    from itnews.evaluate.scores import load_summaries
    from itnews.facts.guard import AttachSummaries, Guard
    from itnews.ingest.clean import Clean

    try:
        loaded = load_summaries(summaries)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    by_id = {
        i: {lang: loaded.texts[lang][i] for lang in loaded.texts if i in loaded.texts[lang]}
        for i in loaded.ids
    }
    printer = CheckPrinter(as_json)
    summary = run_or_stop(paths_source(paths), [Clean(), AttachSummaries(by_id), Guard()], printer)
    articles = {Path(path).stem for path in paths}
    for orphan in (i for i in loaded.ids if i not in articles):
        report("error", summaries, f"id {orphan!r} has no article among the files given")
        printer.failed = True
    finish(summary, printer.failed or printer.unsupported > 0)
