"""`itnews eval` (ROUGE of systems, or of a predictions file) and `itnews check` (the faithfulness
of summaries made anywhere)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from itnews.cli import (
    BackendOption,
    ComputeTypeOption,
    JsonFlag,
    Paths,
    WordsOption,
    app,
    finish,
    report,
    run_or_stop,
    summary_chain,
)
from itnews.summarise.extractive import DEFAULT_WORDS

# --- eval -----------------------------------------------------------------------------------


@app.command("eval")
def eval_command(
    references: Annotated[
        str | None,
        typer.Option("--references", help="Reference summaries, JSONL: id, summary_it, summary_en."),
    ] = None,
    predictions: Annotated[
        str | None,
        typer.Option("--predictions", help="Summaries to score, JSONL: id, summary_it, summary_en."),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            help="Run these systems over the corpus or --dataset and compare them (comma-separated): "
            "lead1, lead2, lead3, extractive, presets, hub ids, model folders. lead3, the baseline of "
            "the verdicts, always runs.",
        ),
    ] = None,
    corpus: Annotated[
        str, typer.Option("--corpus", help="Corpus index for --system, JSONL: id, title, path, topic.")
    ] = "corpus/index.jsonl",
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="Score --system on a dataset instead of the corpus: a known name (--list-datasets), "
            "a .jsonl/.csv/.parquet file, a save_to_disk folder or a hub dataset; articles and "
            "references from the same rows.",
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="--dataset: the split (default: test for known ones).")
    ] = None,
    text_field: Annotated[
        str | None, typer.Option("--text-field", help="--dataset: the article field.")
    ] = None,
    reference_field: Annotated[
        str | None, typer.Option("--reference-field", help="--dataset: the Italian reference summary field.")
    ] = None,
    reference_en_field: Annotated[
        str | None, typer.Option("--reference-en-field", help="--dataset: an English reference field.")
    ] = None,
    title_field: Annotated[str, typer.Option("--title-field", help="--dataset: the title field.")] = "title",
    id_field: Annotated[
        str, typer.Option("--id-field", help="--dataset: the id field; without one: <name>:<row>.")
    ] = "id",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="--dataset: the first N rows only.")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            help="--dataset: the run's folder, one predictions file per system, written as they are "
            "made; run again to resume. Default: itnews-eval/NAME-SPLIT.",
        ),
    ] = None,
    words: WordsOption = DEFAULT_WORDS,
    backend: BackendOption = "torch",
    compute_type: ComputeTypeOption = None,
    engine: Annotated[
        str, typer.Option("--engine", help="--dataset: local, or ray (Ray actors, as `itnews batch`).")
    ] = "local",
    address: Annotated[str | None, typer.Option("--address", help="ray: a cluster to join.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="ray: model actors.")] = 1,
    list_datasets: Annotated[
        bool, typer.Option("--list-datasets", help="List the datasets known by name and exit.")
    ] = False,
    report_path: Annotated[
        str | None,
        typer.Option(
            "--report", help="Markdown report (default: eval/report.md, or report.md in the --out folder)."
        ),
    ] = None,
    as_json: JsonFlag = False,
    compat: Annotated[
        bool,
        typer.Option(
            "--compat", help="rouge-score's ASCII tokenizer and Porter stemmer, as in published figures."
        ),
    ] = False,
) -> None:
    """ROUGE-1/2/L/Lsum with 95% bootstrap CIs, of a predictions file, or of systems run on the corpus or
    on a dataset."""
    from itnews.core.record import InputError
    from itnews.evaluate.systems import UnknownSystemError

    if list_datasets:
        print_known_datasets(as_json)
        return
    mode = "compat" if compat else "unicode"
    try:
        if dataset is not None:
            if system is None or predictions is not None or references is not None:
                raise typer.BadParameter("--dataset takes --system (its references come from its rows)")
            from itnews.evaluate.datasets import DatasetSpec

            spec = DatasetSpec(
                dataset, split, text_field, reference_field, reference_en_field, title_field, id_field
            )
            settings = {"words": words, "backend": backend, "compute_type": compute_type}
            ray = {"address": address, "workers": workers} if engine == "ray" else None
            if engine not in ("local", "ray"):
                raise typer.BadParameter("choose local or ray", param_hint="--engine")
            failed = score_dataset(spec, split_names(system), limit, out, settings, ray, report_path, as_json)
            raise typer.Exit(1 if failed else 0)
        if references is None:
            raise typer.BadParameter("give --references FILE (or --dataset)")
        if (predictions is None) == (system is None):
            raise typer.BadParameter("give either --predictions FILE or --system NAME[,NAME...]")
        if predictions is not None:
            score_predictions(predictions, references, mode, as_json)
        else:
            report_path = report_path or "eval/report.md"
            failed = score_systems(split_names(system), references, corpus, mode, report_path, as_json)
            raise typer.Exit(1 if failed else 0)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except UnknownSystemError as err:
        raise typer.BadParameter(str(err), param_hint="--system") from None


def split_names(system: str) -> list[str]:
    return [name.strip() for name in system.split(",") if name.strip()]


def print_known_datasets(as_json: bool) -> None:
    from itnews.core.console import print_json
    from itnews.evaluate.datasets import known_datasets

    if as_json:
        for known in known_datasets().values():
            print_json(known.to_dict())
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Datasets known by name (itnews eval --dataset NAME)")
    for column in ("name", "hub id", "split", "fields", "licence", "published"):
        table.add_column(column, no_wrap=column in ("name", "hub id"), overflow="fold")
    for known in known_datasets().values():
        published = "\n".join(f"{p.system}: {p.rouge1}/{p.rouge2}/{p.rougeL}" for p in known.published)
        table.add_row(known.name, known.hub, known.split, f"{known.text} -> {known.reference}", known.licence,
                      published or "—")  # fmt: skip
    Console().print(table)


def score_dataset(spec, names, limit, out, settings, ray, report_path, as_json) -> bool:
    """Run each system over the dataset into its predictions file in the run's folder (skipping the
    rows an earlier run already summarised), read them all back, score them and write the report.
    True when something failed (a row, the report)."""
    import shlex

    from itnews.core.console import Progress, print_json
    from itnews.core.sinks import open_sink
    from itnews.evaluate.datasets import open_dataset, read_references
    from itnews.evaluate.report import print_systems_table
    from itnews.evaluate.runs import file_name, predictions_path, score_run
    from itnews.evaluate.systems import system_options, with_baseline

    opened = open_dataset(spec)
    languages = tuple(opened.references)
    options = {name: system_options(name, languages, **settings) for name in with_baseline(names)}
    split = spec.split if opened.articles.kind in ("dataset", "hub") else None  # a file has no splits
    folder = Path(out or f"itnews-eval/{file_name(Path(spec.name).stem)}" + (f"-{split}" if split else ""))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        report("error", str(folder), f"cannot make the run's folder: {err.strerror or err}")
        raise typer.Exit(1) from None
    reports = claim_run_report(Path(report_path) if report_path else folder / "report.md", languages,
                               [opened.articles.path])  # fmt: skip
    # Every model loads before any work; the Ray engine loads each in its actors, and once in the
    # driver when its system starts (run_ray_or_stop), to fail early.
    chains = {name: summary_chain(system, False) if ray is None else None for name, system in options.items()}
    show = sys.stderr.isatty()
    total = min(filter(None, (opened.articles.count(), limit)), default=None) if show else None
    resume = f"resume with: itnews {shlex.join(sys.argv[1:])}"
    for name, chain in chains.items():
        sink = open_sink(str(predictions_path(folder, name)), opened.articles.path)
        with Progress(show, total) as progress:
            if ray is None:
                summary = run_or_stop(
                    opened.articles, chain, sink, limit=limit, display=progress, unique_ids=True
                )
            else:
                from itnews.cli.batch import run_ray_or_stop

                summary = run_ray_or_stop(
                    opened.articles, options[name], False, sink, ray["address"], ray["workers"], 0,
                    limit=limit, display=progress,
                )  # fmt: skip
        print(f"{name}: {summary.line()}", file=sys.stderr)
        if summary.interrupted:
            print(f"interrupted: {resume}", file=sys.stderr)
            raise typer.Exit(130)
    references, problems, rows = {}, [], 0
    for lang, source in opened.references.items():
        references[lang], missing = read_references(source, limit)
        problems += missing
        rows = max(rows, len(references[lang]) + len(missing))
    known = spec.known
    run = score_run(
        folder, list(options), references, problems, dataset=spec.name, split=split, rows=rows,
        published=known.published if known else (),
    )  # fmt: skip
    failed = write_run_report(run, reports)
    if as_json:
        print_json(run.to_dict())
    else:
        for evaluations in run.evaluations.values():
            print_systems_table(evaluations)
    return failed or bool(run.errors)


CHART_SOFTWARE = "itnews eval --dataset"  # in each chart's PNG text: how a rerun knows it as its own


def claim_run_report(path: Path, languages: tuple[str, ...], inputs: list[str]) -> dict:
    """The report's files (Markdown, JSON, a chart per language), claimed before any work as every
    output is (`itnews.core.outputs`): each is written only over the command's own earlier one."""
    from itnews.core.outputs import claim, starts_with
    from itnews.evaluate.chart import chart_available
    from itnews.evaluate.report import RUN_REPORT_START

    def chart_is_ours(file: Path) -> bool:
        with file.open("rb") as handle:
            return CHART_SOFTWARE.encode() in handle.read(4096)

    targets = {"md": (path, starts_with(RUN_REPORT_START.encode()), "an `itnews eval --dataset` report"),
               "json": (path.with_suffix(".json"), starts_with(b'{\n "dataset": '), "its JSON")}  # fmt: skip
    if chart_available():
        for lang in languages:
            targets[lang] = (path.with_name(f"{path.stem}-{lang}.png"), chart_is_ours, "its chart")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        report("error", str(path), f"cannot write the report: {err.strerror or err}")
        raise typer.Exit(1) from None
    held = {}
    try:
        for key, (target, own, what) in targets.items():
            held[key] = claim(target, inputs=inputs, option="--report", own=own, what=what)
    except BaseException:
        for claimed in held.values():
            claimed.release()
        raise
    return held


def write_run_report(run, reports: dict) -> bool:
    """The report (Markdown), its JSON and its charts, each replacing the claimed file whole. True
    when one cannot be written."""
    import datetime
    import json
    import shlex
    import tempfile

    from itnews.evaluate.chart import draw_chart
    from itnews.evaluate.report import LANGUAGE_NAMES, render_run_markdown

    path = reports["md"].path
    claimed = [lang for lang in run.reference_languages if lang in reports]  # when matplotlib is there
    note = None if claimed else "No chart: matplotlib is not installed (pip install 'itnews[chart]')."
    try:
        for lang in claimed:
            published = run.published if lang == "it" else ()
            if not published and not any(e.languages.get(lang) for e in run.evaluations["compat"]):
                continue  # nothing scored in this language (every row failed): no bars to draw
            name = Path(run.dataset).name + (f" ({run.split})" if run.split else "")
            title = f"{name}, {LANGUAGE_NAMES[lang]}: rouge-score's tokenizer"
            with tempfile.TemporaryDirectory() as scratch:  # drawn apart, then written as every output is
                drawn = Path(scratch) / "chart.png"
                draw_chart(drawn, title, run.evaluations["compat"], lang, published, software=CHART_SOFTWARE)
                reports[lang].write(drawn.read_bytes())
            run.charts[lang] = reports[lang].path.name
        command = "itnews " + shlex.join(sys.argv[1:])
        date = datetime.date.today().isoformat()
        markdown = render_run_markdown(run, command=command, date=date, chart_note=note)
        reports["md"].write(markdown.encode("utf-8"))
        reports["json"].write(json.dumps(run.to_dict(), ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as err:
        report("error", str(path), f"cannot write the report: {err.strerror or err}")
        return True
    finally:
        for claimed in reports.values():
            claimed.release()
    print(f"report: {path}", file=sys.stderr)
    return False


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
