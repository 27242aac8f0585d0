"""`itnews models`: list, describe and download the model presets."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from itnews.cli import JsonFlag, app, report

models_app = typer.Typer(help="List, describe and download the model presets.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(as_json: JsonFlag = False) -> None:
    """The presets, their task, hub id, size and whether they are in the local cache."""
    from itnews.summarise.presets import is_cached, load_presets

    presets, defaults = load_presets()
    rows = [
        {
            "preset": name,
            "default": name in defaults.values(),
            "task": preset.task,
            "hub id": preset.hub_id,
            "parameters": preset.parameters,
            "licence": preset.licence.split(" (")[0],
            "cached": is_cached(preset.hub_id),
        }
        for name, preset in presets.items()
    ]
    if as_json:
        for row in rows:
            print(json.dumps({key.replace(" ", "_"): value for key, value in row.items()}))
        return
    print_table(rows)


# Columns a reader can do without, dropped first (last listed, first dropped) when the table would
# not fit the terminal; the preset and the hub id, which are copied into --model, are never cut.
OPTIONAL_COLUMNS = ("cached", "task", "parameters", "licence")


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    cells = [
        {
            **row,
            "preset": row["preset"] + (" (default)" if row["default"] else ""),
            "cached": "yes" if row["cached"] else "no",
        }  # fmt: skip
        for row in rows
    ]
    columns = ["preset", "hub id", *OPTIONAL_COLUMNS]
    widths = {c: max(len(c), *(len(str(cell[c])) for cell in cells)) for c in columns}
    while len(columns) > 2 and sum(widths[c] + 3 for c in columns) + 1 > console.width:
        columns.pop()
    table = Table()
    for column in columns:
        table.add_column(
            column, no_wrap=True, min_width=widths[column] if column in ("preset", "hub id") else None
        )
    for cell in cells:
        table.add_row(*(str(cell[c]) for c in columns))
    console.print(table, crop=False)


@models_app.command("info")
def models_info(
    name: Annotated[str, typer.Argument(help="A preset name.")], as_json: JsonFlag = False
) -> None:
    """Everything a preset sets: languages, limits, dtype, generation settings, licence, notes."""
    from dataclasses import asdict

    from itnews.summarise.presets import is_cached, load_presets

    presets, _ = load_presets()
    if name not in presets:
        report("error", name, f"no such preset; known: {', '.join(presets)}")
        raise typer.Exit(1)
    details = asdict(presets[name])
    details["cached"] = is_cached(presets[name].hub_id)
    if as_json:
        print(json.dumps(details))
        return
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
