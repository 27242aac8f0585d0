"""The `itnews` command line: parses arguments and calls the stages; no logic of its own."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from pipeline.records import Article, InputError, Result

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
    from pipeline.ingest import read_article

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


@app.command()
def summarise(
    paths: Paths,
    as_json: JsonFlag = False,
    lang: Annotated[str, typer.Option("--lang", help="Summary languages: it, en or it,en.")] = "it,en",
    method: Annotated[
        str, typer.Option("--method", help="Extractive method: extractive (centrality), lead1, lead2, lead3.")
    ] = "extractive",
    max_words: Annotated[int, typer.Option("--max-words", min=10, help="Word budget of the summary.")] = 60,
    strict_lang: StrictLang = False,
) -> None:
    """Summarise articles in Italian (and English when a translator is configured)."""
    from pipeline.extractive import METHODS
    from pipeline.summarise import Summariser, SummaryOptions

    languages = parse_languages(lang)
    if method not in METHODS:
        raise typer.BadParameter(f"choose from {', '.join(METHODS)}", param_hint="--method")
    summariser = Summariser(SummaryOptions(method=method, max_words=max_words, languages=languages))
    failed = False
    warned: set[str] = set()
    for item in read_inputs(paths, strict_lang):
        if isinstance(item, InputError):
            report("error", item.item, item.reason)
            failed = True
            continue
        result = summariser.summarise([item])[0]
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


if __name__ == "__main__":
    app()
