"""`itnews serve`: the summary chain behind an HTTP API and a page (`itnews.service`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import app, build_chain, report, with_summary_options

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.command()
@with_summary_options
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; another than loopback opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")] = 8000,
    max_batch: Annotated[
        int, typer.Option("--max-batch", min=1, help="Most articles in one model batch.")
    ] = 32,
    max_wait_ms: Annotated[
        float,
        typer.Option(
            "--max-wait-ms", min=0, help="How long a batch waits for more articles after its first."
        ),
    ] = 10.0,
    queue: Annotated[
        int, typer.Option("--queue", min=1, help="Most articles waiting; past it, requests get 503.")
    ] = 256,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.001, help="Seconds a request may take before it gets 504.")
    ] = 60.0,
    max_body_mb: Annotated[
        float, typer.Option("--max-body-mb", min=0.001, help="Largest request body, in MB (413 past it).")
    ] = 10.0,
    max_digest: Annotated[
        int, typer.Option("--max-digest", min=1, help="Most articles in one digest request.")
    ] = 200,
    api_keys: Annotated[
        str | None,
        typer.Option(
            "--api-keys",
            help="TOML file of hashed API keys, each with requests/minute and characters/request limits.",
        ),
    ] = None,
    cors_origins: Annotated[
        str | None,
        typer.Option("--cors-origins", help="Comma-separated origins allowed to call from a browser."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="local (one process here) or ray (Ray Serve replicas, `itnews\\[ray]`)."
        ),
    ] = "local",
    replicas: Annotated[
        int, typer.Option("--replicas", min=1, help="ray: replicas, each loading the models once.")
    ] = 1,
    gpus_per_replica: Annotated[
        float, typer.Option("--gpus-per-replica", min=0, help="ray: GPUs per replica (fractions allowed).")
    ] = 0,
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="A store `itnews watch` fills: its stories at GET /v1/stories and on the page."
        ),
    ] = None,
    *,
    options: SummaryOptions,
    strict_lang: bool,
) -> None:
    """Serve summaries over HTTP: a JSON API (/v1/summarise, /v1/check, /v1/digest; /v1/stories with
    --store), a page at /, health and Prometheus metrics. Requests from concurrent callers are
    batched; models load once."""
    import functools
    import importlib.util

    if any(importlib.util.find_spec(name) is None for name in ("fastapi", "uvicorn", "fastapi_offline")):
        report("error", "serve", "the server's libraries are not installed: pip install 'itnews[serve]'")
        raise typer.Exit(1)
    check_engine(engine, replicas, gpus_per_replica, port)
    from itnews.service.access import load_keys
    from itnews.service.app import Settings
    from itnews.service.server import serve as run_server
    from itnews.service.server import serve_on_ray

    keys = None
    if api_keys is not None:
        try:
            keys = load_keys(api_keys)
        except ValueError as err:
            report("error", api_keys, str(err))
            raise typer.Exit(1) from None
    if store is not None:
        from itnews.core.record import InputError
        from itnews.monitor.store import Store

        try:
            Store(store, create=False).close()  # a missing or foreign file is said now, not per request
        except InputError as err:
            report("error", err.item, err.reason)
            raise typer.Exit(1) from None
    if host not in LOOPBACK and keys is None:
        report("warning", host, "serving beyond this machine without API keys (--api-keys FILE)")
    settings = Settings(
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
        queue=queue,
        timeout_s=timeout,
        max_body_bytes=int(max_body_mb * 1e6),
        max_digest=max_digest,
        words=options.words,
        keys=keys,
        cors_origins=[origin.strip() for origin in (cors_origins or "").split(",") if origin.strip()],
        store=store,
    )
    make_chain = functools.partial(build_chain, options, strict_lang)
    if engine == "ray":
        raise typer.Exit(serve_on_ray(make_chain, settings, host, port, replicas, gpus_per_replica))
    raise typer.Exit(run_server(make_chain, settings, host, port))


def check_engine(engine: str, replicas: int, gpus_per_replica: float, port: int) -> None:
    """The engine's options make sense, and Ray Serve is installed for the ray engine."""
    if engine not in ("local", "ray"):
        raise typer.BadParameter("choose local or ray", param_hint="--engine")
    if engine == "local":
        for given, name in ((replicas != 1, "--replicas"), (gpus_per_replica, "--gpus-per-replica")):
            if given:
                raise typer.BadParameter("only with --engine ray", param_hint=name)
        return
    if port == 0:
        raise typer.BadParameter("Ray Serve's proxy needs a fixed port", param_hint="--port")
    try:
        import ray.serve  # noqa: F401  (its own dependencies too: the `serve` extra of Ray)
    except ImportError:
        report("error", "--engine ray", "Ray Serve is not installed: pip install 'itnews[ray]'")
        raise typer.Exit(1) from None
