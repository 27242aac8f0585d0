"""`itnews ingest` and `itnews summarise`: articles named on the command line, printed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from itnews.cli import (
    JsonFlag,
    Paths,
    StrictLang,
    app,
    finish,
    run_or_stop,
    summary_chain,
    with_summary_options,
)

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions


@app.command()
def ingest(paths: Paths, as_json: JsonFlag = False, strict_lang: StrictLang = False) -> None:
    """Read and clean articles; print their sentences (or the records with --json)."""
    from itnews.core.console import Printer
    from itnews.core.record import INGEST
    from itnews.core.sources import paths_source
    from itnews.ingest.clean import Clean

    printer = Printer(INGEST, as_json)
    finish(run_or_stop(paths_source(paths), [Clean(strict_lang)], printer), printer.failed)


@app.command()
@with_summary_options
def summarise(paths: Paths, options: SummaryOptions, strict_lang: bool, as_json: JsonFlag = False) -> None:
    """Summarise articles in Italian and English."""
    from itnews.core.console import Printer
    from itnews.core.record import SUMMARY
    from itnews.core.sources import paths_source

    chain = summary_chain(options, strict_lang)
    printer = Printer(SUMMARY, as_json)
    finish(run_or_stop(paths_source(paths), chain, printer), printer.failed)
