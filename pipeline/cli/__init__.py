"""The `itnews` command line: each command parses its options, then chooses a source, a chain of
steps and a sink, and runs them (`itnews.core.runner`). The work itself is in the modules it calls.

One module per command (or pair of commands): summarise.py (ingest, summarise), batch.py,
evaluate.py (eval, check), digest.py, watch.py, serve.py, bench.py, models.py. This module holds the
app and what the commands share: options, the summary chain, running it. The top layer: it may import
every folder, and none imports it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import typing
from typing import TYPE_CHECKING, Annotated

import typer

from itnews.core.console import report
from itnews.summarise.extractive import DEFAULT_WORDS, METHODS

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions

app = typer.Typer(
    help="Italian news summarisation: clean articles, summarise them in Italian and English, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

Paths = Annotated[
    list[str], typer.Argument(help="Article files (.txt, .html) or - for stdin.", show_default=False)
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line instead of readable text.")]
FollowSymlinks = Annotated[
    bool,
    typer.Option("--follow-symlinks", help="Read a folder's links to files outside it (refused by default)."),
]
StrictLang = Annotated[bool, typer.Option("--strict-lang", help="Refuse articles not detected as Italian.")]


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
        help="int8 weights (CPU): torch's dynamic quantization, or CTranslate2's int8 compute type; "
        "faster, output may differ slightly.",
    ),
]
BackendOption = Annotated[
    str,
    typer.Option(
        "--backend",
        help="What runs the seq2seq models: torch, or ctranslate2 (pip install 'itnews\\[ctranslate2]'; "
        "each model is converted once, into $HF_HOME/ctranslate2).",
    ),
]
ComputeTypeOption = Annotated[
    str | None,
    typer.Option(
        "--compute-type",
        help="With --backend ctranslate2: int8, int8_float32, float32, bfloat16, float16... "
        "Default: the preset's dtype for the device.",
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
    "backend": (BackendOption, "torch"),
    "compute_type": (ComputeTypeOption, None),
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
        from itnews.summarise.steps import SummaryOptions

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


def build_chain(options: SummaryOptions, strict_lang: bool) -> list:
    """Clean, then the summary steps (their models load here); ModelUnavailable when a model
    cannot be loaded. `itnews serve` builds its chain with it too, in the server's batcher."""
    from itnews.ingest.clean import Clean
    from itnews.summarise.steps import summary_steps

    return [Clean(strict_lang), *summary_steps(options)]


def summary_chain(options: SummaryOptions, strict_lang: bool) -> list:
    """`build_chain`; exit 1 with a one-line error when a model cannot be loaded."""
    from itnews.summarise.presets import ModelUnavailable

    try:
        return build_chain(options, strict_lang)
    except ModelUnavailable as err:
        report("error", err.name, err.reason)
        raise typer.Exit(1) from None


def run_or_stop(source, chain, sink, **settings):
    """Run the chain; a second Ctrl-C (which stops at once) exits 130 with nothing more to say."""
    from itnews.core.runner import run

    try:
        return run(source, chain, sink, **settings)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def finish(summary, failed: bool) -> None:
    raise typer.Exit(130 if summary.interrupted else 1 if failed else 0)


# The commands register themselves on `app` when imported, in this order in `itnews --help`.
COMMANDS = ("summarise", "batch", "evaluate", "digest", "watch", "serve", "bench", "models", "version")
for command_module in COMMANDS:
    importlib.import_module(f"itnews.cli.{command_module}")
