"""The `itnews` command line: parses arguments and calls the stages; no logic of its own."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from itnews.records import Article, InputError, Result

if TYPE_CHECKING:
    from itnews.bench import BenchResult
    from itnews.evaluate import Evaluation

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


def report(kind: str, item: str, message: str) -> None:
    """One line on stderr: ``error: <item>: <reason>`` or ``warning: <item>: <reason>``."""
    print(f"{kind}: {item}: {message}", file=sys.stderr, flush=True)


def print_json(record: dict) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def read_inputs(paths: list[str], strict_lang: bool) -> list[Article | InputError]:
    """Each path's Article, or the InputError that explains why there is none; order kept."""
    from itnews.ingest import read_article

    read: list[Article | InputError] = []
    for path in paths:
        try:
            read.append(read_article(path, strict_lang=strict_lang))
        except InputError as err:
            read.append(err)
        except Exception as err:  # a bug must not hide the other inputs' results
            read.append(InputError(path, f"internal error: {type(err).__name__}: {err}"))
    return read


def parse_languages(value: str) -> tuple[str, ...]:
    languages = tuple(part.strip() for part in value.split(",") if part.strip())
    if not languages or any(lang not in ("it", "en") for lang in languages):
        raise typer.BadParameter("use a comma-separated subset of it,en", param_hint="--lang")
    return languages


@app.command()
def ingest(paths: Paths, as_json: JsonFlag = False, strict_lang: StrictLang = False) -> None:
    """Read and clean articles; print their sentences (or the records with --json)."""
    failed = False
    for item in read_inputs(paths, strict_lang):
        if isinstance(item, InputError):
            report("error", item.item, item.reason)
            failed = True
            continue
        for warning in item.warnings:
            report("warning", item.source, warning)
        if as_json:
            print_json(item.to_dict())
        else:
            print(f"# {item.id} ({item.source}, lang={item.lang}, {len(item.sentences)} sentences)")
            if item.title:
                print(f"title: {item.title}")
            for number, sentence in enumerate(item.sentences, 1):
                print(f"{number:3d}. {sentence}")
            print()
    raise typer.Exit(1 if failed else 0)


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
        "--method", help="Use an extractive method: extractive (position and headline), lead1, lead2, lead3."
    ),
]
DEFAULT_WORDS = 70  # extractive.DEFAULT_WORDS, written out so --help need not import numpy
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


def summary_options(method, model, translator, words, lang, device, long, quantize):
    """The SummaryOptions of `summarise` and `batch`, with their arguments checked."""
    from itnews.extractive import METHODS
    from itnews.summarise import SummaryOptions

    if method is not None and method not in METHODS:
        raise typer.BadParameter(f"choose from {', '.join(METHODS)}", param_hint="--method")
    return SummaryOptions(
        method=method,
        model=model,
        translator=translator,
        words=words,
        languages=parse_languages(lang),
        device=device,
        long=long,
        quantize=quantize,
    )


def build_summariser(options):
    """The Summariser, or exit 1 with a one-line error when a model cannot be loaded."""
    from itnews.presets import ModelUnavailable
    from itnews.summarise import Summariser

    try:
        return Summariser(options)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None


@app.command()
def summarise(
    paths: Paths,
    as_json: JsonFlag = False,
    lang: LangOption = "it,en",
    method: MethodOption = None,
    words: WordsOption = DEFAULT_WORDS,
    quantize: QuantizeOption = False,
    model: ModelOption = None,
    translator: TranslatorOption = None,
    device: DeviceOption = "auto",
    long: LongOption = "truncate",
    strict_lang: StrictLang = False,
) -> None:
    """Summarise articles in Italian and English."""
    options = summary_options(method, model, translator, words, lang, device, long, quantize)
    inputs = read_inputs(paths, strict_lang)
    summariser = build_summariser(options)
    results = iter(summariser.summarise([item for item in inputs if isinstance(item, Article)]))
    failed = False
    warned: set[str] = set()
    for item in inputs:
        if isinstance(item, InputError):
            report("error", item.item, item.reason)
            failed = True
            continue
        result = next(results)
        if result.status == "error":
            report("error", item.source, result.error)
            failed = True
            continue
        for warning in result.warnings:
            if warning not in warned:
                report("warning", item.source, warning)
                warned.add(warning)
        if as_json:
            print_json(result_json(result))
        else:
            print_readable(item, result)
    raise typer.Exit(1 if failed else 0)


def result_json(result: Result) -> dict:
    keys = ("id", "summary_it", "summary_en", "method", "model", "warnings", "timings")
    record = result.to_dict()
    return {key: record[key] for key in keys}


def print_readable(article: Article, result: Result) -> None:
    print(f"# {article.title or article.id}  [{article.source}]")
    if result.summary_it is not None:
        print(f"IT: {result.summary_it}")
    if result.summary_en is not None:
        print(f"EN: {result.summary_en}")
    print()


# --- batch ----------------------------------------------------------------------------------


@app.command()
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
    lang: LangOption = "it,en",
    method: MethodOption = None,
    words: WordsOption = DEFAULT_WORDS,
    quantize: QuantizeOption = False,
    model: ModelOption = None,
    translator: TranslatorOption = None,
    device: DeviceOption = "auto",
    long: LongOption = "truncate",
    strict_lang: StrictLang = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N records of INPUT.")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="Split of a dataset INPUT.")] = "train",
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Articles per batch; a batch is written durably at once."),
    ] = 32,
) -> None:
    """Summarise a whole corpus into one file: streaming, resumable, a bad record never stops the run."""
    import shlex

    from itnews.batch import Fields, open_sink, open_source, run_batch

    options = summary_options(method, model, translator, words, lang, device, long, quantize)
    try:
        source = open_source(input_path, Fields(text=text_field, id=id_field, title=title_field), split)
        sink = open_sink(out, source)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    summariser = build_summariser(options)
    try:
        summary = run_batch(
            source,
            sink,
            summariser,
            strict_lang=strict_lang,
            limit=limit,
            batch_size=batch_size,
            show_progress=sys.stderr.isatty(),
        )
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    except OSError as err:
        report("error", out, f"cannot write the output: {err.strerror or err}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        summary = None
    resume = f"resume with: itnews {shlex.join(sys.argv[1:])}"
    if summary is None:
        print(f"stopped: every batch written before the stop is in {out}; {resume}", file=sys.stderr)
        raise typer.Exit(130)
    print(summary.line(), file=sys.stderr)
    if summary.interrupted:
        print(f"interrupted after the current batch: {resume}", file=sys.stderr)
        raise typer.Exit(130)
    raise typer.Exit(1 if summary.error else 0)


# --- eval -----------------------------------------------------------------------------------

MAX_LISTED_IDS = 10  # a warning line names this many ids; --json lists them all
VERDICT_SHORT = {"better": "better", "worse": "worse", "no significant difference": "n.s."}


def warn_missing(item: str, evaluation: Evaluation) -> None:
    """A warning per language in which some ids have a summary on one side only."""
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
                report("warning", item, f"{lang}: {len(ids)} id{'s' * (len(ids) != 1)} {side}: {listed}")


def print_scores_table(evaluation: Evaluation, title: str) -> None:
    from itnews.evaluate import LANGUAGES, ROUGE_TYPES, percent
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


def print_systems_table(evaluations: list[Evaluation]) -> None:
    from itnews.evaluate import BASELINE, LANGUAGES, ROUGE_TYPES, TYPE_LABELS, percent
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
        for e in scored:
            scores = e.languages[lang]
            cells = [
                f"{percent(s.fmeasure)}\n[{percent(s.ci_low)}, {percent(s.ci_high)}]"
                for s in (scores.scores[t] for t in ROUGE_TYPES)
            ]
            comparisons = (e.vs_baseline or {}).get(lang) or {}
            verdicts = "\n".join(
                f"{TYPE_LABELS[t]} {100 * c.difference:+.2f} {VERDICT_SHORT[c.verdict]}"
                for t, c in comparisons.items()
            )
            table.add_row(e.system, str(len(scores.ids)), *cells, verdicts or "—")
        console.print(table)


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
    import datetime
    import shlex
    from pathlib import Path

    from itnews import evaluate

    mode = "compat" if compat else "unicode"
    if (predictions is None) == (system is None):
        raise typer.BadParameter("give either --predictions FILE or --system NAME[,NAME...]")
    if system is not None:
        names = [name.strip() for name in system.split(",") if name.strip()]
        from itnews.presets import ModelUnavailable

        try:
            systems = evaluate.build_systems(names)
        except evaluate.UnknownSystemError as err:
            raise typer.BadParameter(str(err), param_hint="--system") from None
        except ModelUnavailable as err:
            report("error", err.name, err.reason)
            raise typer.Exit(1) from None
    failed = False
    try:
        reference_summaries = evaluate.load_summaries(references)
        if predictions is not None:
            scored = evaluate.evaluate(evaluate.load_summaries(predictions), reference_summaries, mode=mode)
            warn_missing(predictions, scored)
            if as_json:
                print_json(scored.to_dict())
            else:
                print_scores_table(scored, f"ROUGE in % of {predictions} (mode {mode})")
            raise typer.Exit(0)
        articles = []
        for item in evaluate.read_corpus(corpus):
            if isinstance(item, InputError):
                report("error", item.item, item.reason)
                failed = True
            else:
                articles.append(item)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    evaluations = evaluate.evaluate_systems(systems, articles, reference_summaries, mode=mode)
    for evaluation in evaluations:
        warn_missing(evaluation.system, evaluation)
    command = "itnews " + shlex.join(sys.argv[1:])
    markdown = evaluate.render_markdown(evaluations, command=command, date=datetime.date.today().isoformat())
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
    raise typer.Exit(1 if failed else 0)


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
    as_json: JsonFlag = False,
) -> None:
    """Articles/s of the batch path against a model card's generate loop, on random-weight models of the
    presets' exact architectures (nothing is downloaded)."""
    from itnews.bench import bench
    from itnews.presets import ModelUnavailable, load_presets

    presets, defaults = load_presets()
    names = preset or [defaults["summariser"], defaults["translator"]]
    if unknown := [name for name in names if name not in presets]:
        raise typer.BadParameter(
            f"unknown preset {', '.join(unknown)}; known: {', '.join(presets)}", param_hint="--preset"
        )
    if quantize and device != "cpu":
        raise typer.BadParameter("int8 dynamic quantization runs on CPU only", param_hint="--quantize")
    try:
        for result in bench(names, articles, device, quantize, greedy=greedy):
            if as_json:
                print_json(result.to_dict())
            else:
                print_bench(result)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
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
    from itnews.presets import is_cached, load_presets
    from rich.console import Console
    from rich.table import Table

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
