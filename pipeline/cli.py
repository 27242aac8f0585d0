"""The `itnews` command line: each command parses its options, then chooses a source, a chain of
steps and a sink, and runs them (`itnews.runner`). The work itself is in the modules it calls."""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from itnews.console import report
from itnews.extractive import DEFAULT_WORDS, METHODS
from itnews.record import json_line

if TYPE_CHECKING:
    from itnews.bench import BenchResult
    from itnews.summarise import SummaryOptions

app = typer.Typer(
    help="Italian news summarisation: clean articles, summarise them in Italian and English, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Paths = Annotated[
    list[str], typer.Argument(help="Article files (.txt, .html) or - for stdin.", show_default=False)
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line instead of readable text.")]
StrictLang = Annotated[bool, typer.Option("--strict-lang", help="Refuse articles not detected as Italian.")]


@app.command()
def ingest(paths: Paths, as_json: JsonFlag = False, strict_lang: StrictLang = False) -> None:
    """Read and clean articles; print their sentences (or the records with --json)."""
    from itnews.clean import Clean
    from itnews.console import Printer
    from itnews.record import INGEST
    from itnews.sources import paths_source

    printer = Printer(INGEST, as_json)
    finish(run_or_stop(paths_source(paths), [Clean(strict_lang)], printer), printer.failed)


ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Italian summariser: a preset (`itnews models list`), hub id or local directory. "
        "Default: the default preset if downloaded, else the extractive summariser.",
    ),
]
TranslatorOption = Annotated[
    str | None,
    typer.Option(
        "--translator",
        help="it->en model: preset, hub id or directory. Default: the default preset if downloaded.",
    ),
]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")]
LangOption = Annotated[str, typer.Option("--lang", help="Summary languages: it, en or it,en.")]
MethodOption = Annotated[
    str | None,
    typer.Option(
        "--method",
        help=f"Use an extractive method: {', '.join(METHODS)} (extractive: position and headline).",
    ),
]
WordsOption = Annotated[
    int,
    typer.Option(
        "--words",
        min=10,
        help="Target length of extractive summaries in words; whole sentences, so the nearest length.",
    ),
]
QuantizeOption = Annotated[
    bool,
    typer.Option(
        "--quantize",
        help="int8 dynamic quantization of the models' linear layers (CPU): faster, "
        "output may differ slightly.",
    ),
]
LongOption = Annotated[
    str,
    typer.Option(
        "--long", help="Articles past the model's input limit: truncate, or chunk and summarise again."
    ),
]


GuardOption = Annotated[
    str,
    typer.Option(
        "--guard",
        help="Faithfulness guard: flag (check every figure, date and name against the article and "
        "warn), off, or rerank (seq2seq: keep the most faithful beam candidate).",
    ),
]


# The options `summarise` and `batch` share, declared once: `with_summary_options` adds them to a
# command, which receives them as one SummaryOptions and the --strict-lang flag.
SUMMARY_OPTIONS = {
    "lang": (LangOption, "it,en"),
    "method": (MethodOption, None),
    "words": (WordsOption, DEFAULT_WORDS),
    "quantize": (QuantizeOption, False),
    "model": (ModelOption, None),
    "translator": (TranslatorOption, None),
    "device": (DeviceOption, "auto"),
    "long": (LongOption, "truncate"),
    "guard": (GuardOption, "flag"),
    "strict_lang": (StrictLang, False),
}


def with_summary_options(command):
    """``command`` with the SUMMARY_OPTIONS added to its command-line parameters; it is called with
    them gathered into one checked SummaryOptions (``options``) and ``strict_lang``."""
    signature = inspect.signature(command, eval_str=False)
    hints = typing.get_type_hints(command, include_extras=True, localns={"SummaryOptions": object})
    own = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if p.name not in ("options", "strict_lang")
    ]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, (annotation, default) in SUMMARY_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_options(**values):
        from itnews.summarise import SummaryOptions

        shared_values = {name: values.pop(name) for name in SUMMARY_OPTIONS}
        strict_lang = shared_values.pop("strict_lang")
        languages = tuple(part.strip() for part in shared_values.pop("lang").split(",") if part.strip())
        try:
            options = SummaryOptions(languages=languages, **shared_values)
        except ValueError as err:
            raise typer.BadParameter(str(err)) from None
        return command(**values, options=options, strict_lang=strict_lang)

    # typer reads the parameters from the signature; the annotations are resolved here already.
    with_options.__signature__ = signature.replace(parameters=own + shared)
    with_options.__annotations__ = {}
    return with_options


def summary_chain(options: SummaryOptions, strict_lang: bool) -> list:
    """Clean, then the summary steps (their models load here); exit 1 with a one-line error when a
    model cannot be loaded."""
    from itnews.clean import Clean
    from itnews.presets import ModelUnavailable
    from itnews.summarise import summary_steps

    try:
        return [Clean(strict_lang), *summary_steps(options)]
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None


def run_or_stop(source, chain, sink, **settings):
    """Run the chain; a second Ctrl-C (which stops at once) exits 130 with nothing more to say."""
    from itnews.runner import run

    try:
        return run(source, chain, sink, **settings)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def run_ray_or_stop(source, options, strict_lang, sink, address, workers, gpus_per_worker, **settings):
    """The Ray engine: cleaning as tasks, the summary steps built once per model actor."""
    import functools
    import importlib.util

    from itnews.clean import Clean
    from itnews.ray_runner import run_on_ray
    from itnews.summarise import summary_steps

    if importlib.util.find_spec("ray") is None:
        report("error", "--engine ray", "Ray is not installed: pip install 'itnews[ray]'")
        raise typer.Exit(1)
    summary_chain(options, strict_lang)  # loaded here once first: a model that cannot load is one line
    make_steps = functools.partial(summary_steps, options)
    try:
        return run_on_ray(
            source,
            Clean(strict_lang),
            make_steps,
            sink,
            address=address,
            workers=workers,
            gpus_per_worker=gpus_per_worker,
            **settings,
        )
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def finish(summary, failed: bool) -> None:
    raise typer.Exit(130 if summary.interrupted else 1 if failed else 0)


@app.command()
@with_summary_options
def summarise(paths: Paths, options: SummaryOptions, strict_lang: bool, as_json: JsonFlag = False) -> None:
    """Summarise articles in Italian and English."""
    from itnews.console import Printer
    from itnews.record import SUMMARY
    from itnews.sources import paths_source

    chain = summary_chain(options, strict_lang)
    printer = Printer(SUMMARY, as_json)
    finish(run_or_stop(paths_source(paths), chain, printer), printer.failed)


# --- batch ----------------------------------------------------------------------------------


@app.command()
@with_summary_options
def batch(
    input_path: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A folder of .txt/.html articles, a .jsonl, .csv or .parquet file, a save_to_disk "
            "folder, or a hub dataset name.",
            show_default=False,
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out", help="Output, .jsonl or .parquet. If it exists the run resumes: ok ids are skipped."
        ),
    ],
    text_field: Annotated[str, typer.Option("--text-field", help="Record field with the article text.")] = (
        "text"
    ),
    id_field: Annotated[
        str, typer.Option("--id-field", help="Record field with the id; without one: <file stem>:<row>.")
    ] = "id",
    title_field: Annotated[str, typer.Option("--title-field", help="Record field with the title.")] = "title",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N records of INPUT.")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="Split of a dataset INPUT.")] = "train",
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Articles per batch; a batch is written durably at once."),
    ] = 32,
    engine: Annotated[
        str,
        typer.Option("--engine", help="local (threads on this machine) or ray (Ray Data, `itnews[ray]`)."),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="ray: a cluster to join (auto, ray://host:port); default: a local Ray."
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="ray: model actors.")] = 1,
    gpus_per_worker: Annotated[
        float, typer.Option("--gpus-per-worker", min=0, help="ray: GPUs per model actor (fractions allowed).")
    ] = 0,
    *,
    options: SummaryOptions,
    strict_lang: bool,
) -> None:
    """Summarise a whole corpus into one file: streaming, resumable, a bad record never stops the run."""
    import shlex

    from itnews.console import Progress
    from itnews.record import InputError
    from itnews.sinks import open_sink
    from itnews.sources import Fields, open_source

    try:
        source = open_source(input_path, Fields(text=text_field, id=id_field, title=title_field), split)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    try:
        sink = open_sink(out, source.path)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    if engine not in ("local", "ray"):
        raise typer.BadParameter("choose local or ray", param_hint="--engine")
    show = sys.stderr.isatty()
    total = min(filter(None, (source.count(), limit)), default=None) if show else None
    resume = f"resume with: itnews {shlex.join(sys.argv[1:])}"
    try:
        with Progress(show, total) as progress:
            if engine == "local":
                chain = summary_chain(options, strict_lang)
                summary = run_or_stop(
                    source, chain, sink, batch_size=batch_size, limit=limit, display=progress, unique_ids=True
                )
            else:
                summary = run_ray_or_stop(
                    source,
                    options,
                    strict_lang,
                    sink,
                    address,
                    workers,
                    gpus_per_worker,
                    batch_size=batch_size,
                    limit=limit,
                    display=progress,
                )
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except OSError as err:
        report("error", out, f"cannot write the output: {err.strerror or err}")
        raise typer.Exit(1) from None
    except typer.Exit:
        print(f"stopped: every batch written before the stop is in {out}; {resume}", file=sys.stderr)
        raise
    print(summary.line(), file=sys.stderr)
    if summary.interrupted:
        print(f"interrupted after the current batch: {resume}", file=sys.stderr)
    finish(summary, summary.error > 0)


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
    from itnews import evaluate
    from itnews.record import InputError

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
    except evaluate.UnknownSystemError as err:
        raise typer.BadParameter(str(err), param_hint="--system") from None


def score_predictions(predictions: str, references: str, mode: str, as_json: bool) -> None:
    from itnews import evaluate
    from itnews.console import print_json
    from itnews.record import InputError
    from itnews.report import missing_warnings, print_scores_table

    reference_summaries = evaluate.load_summaries(references)
    scored = evaluate.evaluate(evaluate.load_summaries(predictions), reference_summaries, mode=mode)
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

    from itnews import evaluate
    from itnews.clean import Clean
    from itnews.console import print_json, report_failed
    from itnews.presets import ModelUnavailable
    from itnews.report import missing_warnings, print_systems_table, render_markdown
    from itnews.runner import Collect
    from itnews.sources import index_source

    try:
        systems = evaluate.build_systems(names)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    reference_summaries = evaluate.load_summaries(references)
    cleaned = Collect()
    run_or_stop(index_source(corpus), [Clean()], cleaned)
    for record in cleaned.records:
        if not record.ok:
            report_failed(record)
    failed = not all(record.ok for record in cleaned.records)
    evaluations = evaluate.evaluate_systems(systems, cleaned.records, reference_summaries, mode=mode)
    for evaluation in evaluations:
        for warning in missing_warnings(evaluation):
            report("warning", evaluation.system, warning)
    command = "itnews " + shlex.join(sys.argv[1:])
    markdown = render_markdown(evaluations, command=command, date=datetime.date.today().isoformat())
    try:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        Path(report_path).write_text(markdown, encoding="utf-8")
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
    from itnews.clean import Clean
    from itnews.console import CheckPrinter
    from itnews.evaluate import load_summaries
    from itnews.guard import AttachSummaries, Guard
    from itnews.record import InputError
    from itnews.sources import paths_source

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


# --- digest ---------------------------------------------------------------------------------


@app.command()
def digest(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="Article files, folders of them, .jsonl/.csv/.parquet files or datasets, as for batch.",
            show_default=False,
        ),
    ],
    out: Annotated[
        str | None, typer.Option("--out", help="Write the stories here, one JSON line each.")
    ] = None,
    report_path: Annotated[
        str | None, typer.Option("--report", help="Write a self-contained HTML page of the stories.")
    ] = None,
    as_json: JsonFlag = False,
    text_field: Annotated[
        str, typer.Option("--text-field", help="Record field with the article text.")
    ] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="Record field with the id.")] = "id",
    title_field: Annotated[str, typer.Option("--title-field", help="Record field with the title.")] = "title",
    source_field: Annotated[
        str | None,
        typer.Option("--source-field", help="Record field with the outlet; default: the file's name."),
    ] = None,
    date_field: Annotated[
        str | None, typer.Option("--date-field", help="Record field with the publication date (ISO 8601).")
    ] = None,
    words: WordsOption = DEFAULT_WORDS,
) -> None:
    """Group many outlets' articles into stories: one summary per story, sources named, and the
    figures the sources disagree on."""
    from itnews.clean import Clean
    from itnews.console import print_json, report_failed
    from itnews.digest import build_stories
    from itnews.record import InputError
    from itnews.runner import Collect
    from itnews.sources import Fields, digest_source

    fields = Fields(text=text_field, id=id_field, title=title_field, outlet=source_field, date=date_field)
    try:
        source = digest_source(inputs, fields)
        collected = Collect()
        run_or_stop(source, [Clean()], collected, unique_ids=True)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    for record in collected.records:
        if not record.ok:
            report_failed(record)
    articles = [record for record in collected.records if record.ok]
    if not articles:
        report("error", " ".join(inputs), "no article to digest")
        raise typer.Exit(1)
    stories = build_stories(articles, words)
    lines = [story.to_dict() for story in stories]
    try:
        if out is not None:
            Path(out).write_bytes(b"".join(json_line(line) for line in lines))
        if report_path is not None:
            from itnews.digest_report import render

            Path(report_path).write_text(render(stories, articles), encoding="utf-8")
    except OSError as err:
        report("error", out if out is not None else report_path, f"cannot write: {err.strerror or err}")
        raise typer.Exit(1) from None
    for story in stories:
        if as_json:
            print_json(story.to_dict())
        else:
            print_story(story)
    raise typer.Exit(1 if len(articles) < len(collected.records) else 0)


def print_story(story) -> None:
    conflicts = [f for f in story.figures if f["conflict"]]
    articles = f"{len(story.articles)} article{'s' * (len(story.articles) > 1)}"
    print(f"# {story.title or story.story_id}  [{articles}: {', '.join(story.sources)}]")
    print(f"IT: {story.summary_it}")
    if story.summary_en:
        print(f"EN: {story.summary_en}")
    for figure in conflicts:
        values = "; ".join(f"{v['text']} ({', '.join(v['articles'])})" for v in figure["values"])
        print(f"conflict: {figure['what']}: {values}")
    print()


# --- bench ----------------------------------------------------------------------------------


@app.command("bench")
def bench_command(
    preset: Annotated[
        list[str] | None,
        typer.Option(
            "--preset",
            help="Preset to time; repeat for more. Default: the default summariser and translator.",
        ),
    ] = None,
    articles: Annotated[
        int,
        typer.Option(
            "--articles",
            min=1,
            help="Corpus articles per preset, repeated as needed. The default keeps the default presets "
            "within 10 minutes on 2 CPU cores.",
        ),
    ] = 8,
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or cuda:N.")] = "cpu",
    quantize: Annotated[
        bool, typer.Option("--quantize", help="int8 dynamic quantization of the batch path (CPU).")
    ] = False,
    greedy: Annotated[
        bool,
        typer.Option(
            "--greedy", help="Decode greedily on both paths instead of with the presets' beam search."
        ),
    ] = False,
    corpus: Annotated[
        str, typer.Option("--corpus", help="Folder of article files to time (.txt, .html).")
    ] = "corpus/articles",
    as_json: JsonFlag = False,
) -> None:
    """Articles/s of the batch path against a model card's generate loop, on random-weight models of the
    presets' exact architectures (nothing is downloaded)."""
    from itnews.bench import bench
    from itnews.console import print_json
    from itnews.presets import ModelUnavailable, load_presets
    from itnews.record import InputError

    presets, defaults = load_presets()
    names = preset or [defaults["summariser"], defaults["translator"]]
    if unknown := [name for name in names if name not in presets]:
        raise typer.BadParameter(
            f"unknown preset {', '.join(unknown)}; known: {', '.join(presets)}", param_hint="--preset"
        )
    if quantize and device != "cpu":
        raise typer.BadParameter("int8 dynamic quantization runs on CPU only", param_hint="--quantize")
    try:
        for result in bench(names, articles, device, quantize, greedy=greedy, corpus=corpus):
            if as_json:
                print_json(result.to_dict())
            else:
                print_bench(result)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None


def print_bench(result: BenchResult) -> None:
    r = result
    print(
        f"# {r.preset} ({r.role}; {r.device} {r.dtype}, {r.threads} threads; {r.parameters_m}M params; "
        f"{r.num_beams} beam{'s' if r.num_beams > 1 else ''})"
    )
    print(f"machine load average at start: {r.load_average}")
    for label, prefix in (("batch path", ""), ("model card", "baseline_")):
        per_s, tokens, p50, p95, rss, gpu = (
            getattr(r, prefix + key)
            for key in ("articles_per_s", "tokens_per_s", "p50_s", "p95_s", "peak_rss_mb", "peak_gpu_mb")
        )
        gpu_memory = f", peak GPU {gpu:.0f} MB" if gpu is not None else ""
        print(
            f"{label}: {per_s:.3f} articles/s, {tokens:.1f} tokens/s, latency p50 {p50:.2f} s "
            f"p95 {p95:.2f} s, peak RSS {rss:.0f} MB{gpu_memory}"
        )
    print(f"speed-up {r.speedup:.2f}x over {r.articles} articles; same output text for {r.agreement:.0%}")
    for note in r.notes:
        print(f"note: {note}")
    print()


models_app = typer.Typer(help="List, describe and download the model presets.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """The presets, their task, hub id, size and whether they are in the local cache."""
    from rich.console import Console
    from rich.table import Table

    from itnews.presets import is_cached, load_presets

    presets, defaults = load_presets()
    table = Table("preset", "task", "hub id", "parameters", "licence", "cached")
    for name, preset in presets.items():
        marker = " (default)" if name in defaults.values() else ""
        table.add_row(
            name + marker,
            preset.task,
            preset.hub_id,
            preset.parameters,
            preset.licence.split(" (")[0],
            "yes" if is_cached(preset.hub_id) else "no",
        )
    Console().print(table)


@models_app.command("info")
def models_info(name: Annotated[str, typer.Argument(help="A preset name.")]) -> None:
    """Everything a preset sets: languages, limits, dtype, generation settings, licence, notes."""
    from dataclasses import asdict

    from itnews.presets import is_cached, load_presets

    presets, _ = load_presets()
    if name not in presets:
        report("error", name, f"no such preset; known: {', '.join(presets)}")
        raise typer.Exit(1)
    details = asdict(presets[name])
    details["cached"] = is_cached(presets[name].hub_id)
    for key, value in details.items():
        print(f"{key:17} {value}")


@models_app.command("pull")
def models_pull(names: Annotated[list[str], typer.Argument(help="Presets or hub ids to download.")]) -> None:
    """Download models into the Hugging Face cache (needs a network), for later offline use."""
    from itnews.presets import ModelUnavailable, pull

    failed = False
    for name in names:
        try:
            print(f"{name}: {pull(name)}")
        except ModelUnavailable as err:
            report("error", err.name, err.reason)
            failed = True
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    app()
