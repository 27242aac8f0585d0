"""`itnews models`: list, describe and download the model presets."""

from __future__ import annotations

from typing import Annotated

import typer

from itnews.cli import app, report

models_app = typer.Typer(help="List, describe and download the model presets.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """The presets, their task, hub id, size and whether they are in the local cache."""
    from rich.console import Console
    from rich.table import Table

    from itnews.summarise.presets import is_cached, load_presets

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

    from itnews.summarise.presets import is_cached, load_presets

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
    from itnews.summarise.presets import pull

    for_each_model(names, pull)


@models_app.command("convert")
def models_convert(
    names: Annotated[list[str], typer.Argument(help="Presets, hub ids or model directories.")],
) -> None:
    """Convert models for --backend ctranslate2 (done on first use otherwise): once per model
    revision, into $HF_HOME/ctranslate2 beside the Hugging Face cache. Prints each folder."""
    from itnews.summarise.ctranslate2_model import convert_by_name

    for_each_model(names, convert_by_name)


def for_each_model(names: list[str], action) -> None:
    """``name: folder`` for each model ``action`` succeeds on, a one-line error for each it cannot do;
    exit 1 if any failed."""
    from itnews.summarise.presets import ModelUnavailable

    failed = False
    for name in names:
        try:
            print(f"{name}: {action(name)}")
        except ModelUnavailable as err:
            report("error", err.name, err.reason)
            failed = True
    raise typer.Exit(1 if failed else 0)
