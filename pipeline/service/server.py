"""Running the app: under uvicorn, one process bound where asked; or as a Ray Serve deployment of
replicas (`itnews.engines.ray_serve`); stopped cleanly either way.

SIGTERM or Ctrl-C: uvicorn stops accepting connections, lets the requests in flight finish (for
at most the request timeout and a few seconds), then the batcher ends and `serve` returns 0. A
second Ctrl-C stops at once. If the models cannot be loaded, the server stops and `serve` returns
1 with the reason. On Ray the same app runs in each replica; a replica whose models cannot load is
replaced by Ray Serve, and `serve_on_ray` returns 1 with the reason once Ray Serve gives up.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
from collections.abc import Callable

from itnews.core.console import escape, report
from itnews.core.steps import Chain
from itnews.service.app import Settings, create_app

SHUTDOWN_GRACE_S = 5  # beyond the request timeout, for the responses to be written


def serve(make_chain: Callable[[], Chain], settings: Settings, host: str, port: int) -> int:
    """Serve until stopped; the exit status (0 stopped by a signal, 1 the models failed to load)."""
    import uvicorn

    log_to_stderr()
    failures: list[str] = []
    server: uvicorn.Server | None = None

    def fatal(reason: str) -> None:
        failures.append(reason)
        if server is not None:
            server.should_exit = True

    app = create_app(make_chain, settings, on_fatal=fatal)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # the app writes one JSON line per request itself
        log_level="warning",
        timeout_graceful_shutdown=int(settings.timeout_s) + SHUTDOWN_GRACE_S,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    print(
        f"itnews: serving on http://{host}:{port} (the page at /, the API at /docs)",
        file=sys.stderr,
        flush=True,
    )
    with signals_handled():
        server.run()
    if failures:
        print(f"error: {escape(failures[0])}", file=sys.stderr, flush=True)
        return 1
    return 0 if server.started else 1


def serve_on_ray(
    make_chain: Callable[[], Chain],
    settings: Settings,
    host: str,
    port: int,
    replicas: int,
    gpus_per_replica: float,
) -> int:
    """Serve from ``replicas`` Ray Serve replicas until stopped; the exit status (0 stopped by a
    signal, 1 Ray or the replicas could not start, with the reason on stderr)."""
    from itnews.engines.ray_actors import EngineError
    from itnews.engines.ray_serve import serve_on_ray as run_replicas

    try:
        run_replicas(
            functools.partial(replica_app, make_chain, settings),
            host=host,
            port=port,
            replicas=replicas,
            gpus_per_replica=gpus_per_replica,
            queue=settings.queue,
            grace_s=settings.timeout_s + SHUTDOWN_GRACE_S,
        )
    except EngineError as err:
        report("error", err.where, err.reason)
        return 1
    return 0


def replica_app(make_chain: Callable[[], Chain], settings: Settings):
    """The app, made in a Ray Serve replica: its request log on the replica's stderr, as the plain
    server writes it (Ray keeps it in the replica's log file)."""
    log_to_stderr()
    return create_app(make_chain, settings)


def log_to_stderr() -> None:
    """The request log, one JSON line per request, on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    service_log = logging.getLogger("itnews.service")
    service_log.addHandler(handler)
    service_log.setLevel(logging.INFO)
    service_log.propagate = False


@contextlib.contextmanager
def signals_handled():
    """uvicorn raises the signal that stopped it again once it is done, with the handler it found:
    that would turn a clean stop into death by SIGTERM (143) or a KeyboardInterrupt. The signal has
    done its work by then, so the handlers uvicorn finds ignore it."""
    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: None) for sig in stopping}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
