"""`itnews batch`: a whole corpus into one resumable file, on this machine or on Ray."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import FollowSymlinks, app, finish, report, run_or_stop, summary_chain, with_summary_options

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions


def check_ray(address: str | None) -> None:
    """Ray is installed and ``address`` is one it can join, before anything is read or written."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        report("error", "--engine ray", "Ray is not installed: pip install 'itnews[ray]'")
        raise typer.Exit(1)
    if address is None:
        return
    from itnews.engines.ray_actors import EngineError, check_address

    try:
        check_address(address)
    except ValueError as err:
        report("error", "--address", str(err))
        raise typer.Exit(2) from None
    except EngineError as err:
        report("error", err.where, err.reason)
        raise typer.Exit(1) from None


def run_ray_or_stop(source, options, strict_lang, sink, address, workers, gpus_per_worker, **settings):
    """The Ray engine: cleaning as tasks, the summary steps built once per model actor."""
    import functools

    from itnews.engines.ray_actors import run_on_ray
    from itnews.ingest.clean import Clean
    from itnews.summarise.steps import summary_steps

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
    follow_symlinks: FollowSymlinks = False,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, help="Articles per batch; a batch is written durably at once."),
    ] = 32,
    engine: Annotated[
        str,
        typer.Option("--engine", help="local (threads on this machine) or ray (on Ray, `itnews\\[ray]`)."),
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

    from itnews.core.console import Progress
    from itnews.core.record import InputError
    from itnews.core.sinks import open_sink
    from itnews.core.sources import Fields, open_source
    from itnews.engines.ray_actors import EngineError

    if engine not in ("local", "ray"):
        raise typer.BadParameter("choose local or ray", param_hint="--engine")
    if engine == "ray":
        check_ray(address)
    try:
        fields = Fields(text=text_field, id=id_field, title=title_field)
        source = open_source(input_path, fields, split, follow_symlinks)
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
    show = sys.stderr.isatty()
    total = min(filter(None, (source.count(), limit)), default=None) if show else None
    resume = f"resume with: itnews {shlex.join(sys.argv[1:])}"
    # The models load here, before the run: one that cannot load is one line, nothing run or stopped.
    # (The Ray engine's actors load them again; this is their first load.)
    chain = summary_chain(options, strict_lang)
    try:
        with Progress(show, total) as progress:
            if engine == "local":
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
    except EngineError as err:
        report("error", err.where, err.reason)
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
