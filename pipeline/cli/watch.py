"""`itnews watch`: feeds in, a story store that grows (`itnews.monitor`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import app, report, run_or_stop, summary_chain, with_summary_options

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions


@app.command()
@with_summary_options
def watch(
    feeds: Annotated[
        list[str],
        typer.Argument(
            metavar="FEED...",
            help="RSS or Atom feed URLs, text files of them (one a line) or OPML files.",
            show_default=False,
        ),
    ],
    store: Annotated[
        str,
        typer.Option("--store", help="The SQLite story store to fill (made if missing).", show_default=False),
    ],
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit (for cron).")] = False,
    every: Annotated[str, typer.Option("--every", help="Time between passes: 90s, 15m, 1h.")] = "15m",
    window: Annotated[
        int,
        typer.Option(
            "--window",
            min=1,
            help="Days: a new article joins a story with news this recent; a story closes after as many "
            "days without news.",
        ),
    ] = 5,
    delay: Annotated[
        float, typer.Option("--delay", min=0, help="Seconds between two requests to one host (at least).")
    ] = 1.0,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds a feed or page may take to arrive.")
    ] = 10.0,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private", help="Fetch from loopback and private addresses (refused by default)."
        ),
    ] = False,
    *,
    options: SummaryOptions,
    strict_lang: bool,
) -> None:
    """Watch news feeds: fetch each new article once, summarise it, and keep the stories up to date
    in a SQLite store (read it back with `itnews digest --store` or `itnews serve --store`)."""
    import sys
    import time
    from pathlib import Path

    from itnews.core.outputs import claim
    from itnews.core.record import InputError
    from itnews.monitor.feeds import feed_urls
    from itnews.monitor.fetch import Fetcher
    from itnews.monitor.store import Store, duration
    from itnews.monitor.watch import watch_pass

    try:
        interval = duration(every).total_seconds()
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--every") from None
    try:
        urls = feed_urls(feeds)
        # One watch per store: a second one would fetch the same items and wait on the first's writes.
        held = claim(Path(store), option="--store", own=None, what="a story store")
        Store(store).close()  # made, migrated or refused before any fetching
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    chain = summary_chain(options, strict_lang)  # models load here
    failed = False
    try:
        with Fetcher(delay=delay, timeout=timeout, allow_private=allow_private) as fetcher:
            while True:
                result = watch_pass(urls, Path(store), chain, fetcher, window, options.words, run_or_stop)
                print(f"itnews watch: {result.line()}", file=sys.stderr, flush=True)
                failed = result.failed > 0
                if result.interrupted:  # Ctrl-C: the articles stored so far are kept for the next run
                    raise typer.Exit(130)
                if once:
                    break
                try:
                    time.sleep(interval)
                except KeyboardInterrupt:
                    raise typer.Exit(0) from None
    finally:
        held.release()
    raise typer.Exit(1 if failed else 0)
