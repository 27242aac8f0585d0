"""The Ray Data engine: the local runner's steps and records, run by Ray Data on a laptop or a cluster.

```
driver: source ─▶ Fresh (skip done ids, refuse duplicates) ─▶ windows of records ──▶ Ray Data:
    cleaning as tasks ─▶ summary steps in an actor pool (models load once per actor)
driver: ◀── finished batches ─▶ the local engine's resumable sink (JSONL or Parquet)
```

- The steps are the local engine's: `Clean` runs as stateless tasks, the summary steps
  (`summary_steps`) in ``workers`` actors, each built on its worker from the options, so a model is
  loaded once per actor and never shipped from the driver. Records cross Ray as JSON text.
- Nothing lost, nothing twice: Ray retries a failed task and restarts a dead actor (Ray Data's
  defaults for actor pools: restarts and task retries without limit), and only a block's final
  output reaches the driver, which appends each finished batch to the same sinks as the local
  engine. A killed driver resumes with the same command, skipping ids already ok.
- The driver hands Ray windows of RECORDS_PER_WINDOW records (a dataset each), so that its memory
  does not grow with the corpus; each window starts its actors anew, which costs one model load
  per worker per window.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from itnews.core.record import Record
from itnews.core.runner import Fresh, RunSummary, deliver, peak_rss_mb, stop_on_sigint
from itnews.core.steps import Step, apply
from itnews.summarise.presets import first_line

RECORDS_PER_WINDOW = 20_000


def encode(record: Record) -> str:
    return json.dumps(record.to_dict())  # ASCII JSON: any string crosses unchanged


def decode(text: str) -> Record:
    return Record.from_dict(json.loads(text))


def run_steps(batch: dict, steps: list) -> dict:
    """A Ray task (or an actor's call): the steps on a batch of encoded records."""
    records = apply(steps, [decode(text) for text in batch["record"]])
    return {"record": [encode(record) for record in records]}


class StepsActor:
    """A Ray actor: builds the model steps once (models load here), then runs many batches."""

    def __init__(self, make_steps: Callable[[], list]):
        self.steps = make_steps()

    def __call__(self, batch: dict) -> dict:
        return run_steps(batch, self.steps)


class EngineError(Exception):
    """Ray cannot be started or joined; the CLI prints ``error: <where>: <reason>``."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


# What --address takes: ``auto`` (the cluster this machine runs or RAY_ADDRESS names), HOST:PORT of a
# head (``ray start --head``), or ray://HOST:PORT (Ray Client, `ray[client]`).
ADDRESS = re.compile(r"(?P<client>ray://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+):(?P<port>\d{1,5})")
# A head answers a connection at once, even across the world. ray.init waits minutes on an address
# where nothing listens, so a socket is tried first, for this long.
CONNECT_TIMEOUT_S = 5


def check_address(address: str) -> None:
    """A well-formed address (ValueError otherwise) where something answers (EngineError otherwise)."""
    import importlib.util
    import socket

    where = f"--address {address}"
    if address == "auto":
        from ray._private.services import canonicalize_bootstrap_address  # how ray.init finds it

        try:
            found = canonicalize_bootstrap_address("auto")
        except Exception:  # ConnectionError when nothing runs; Ray's own messages span lines
            found = None
        if not found:
            raise EngineError(where, "no running Ray cluster found on this machine or in RAY_ADDRESS "
                              "(start one with `ray start --head`, or give HOST:PORT)")  # fmt: skip
        match = ADDRESS.fullmatch(found)
        where = f"{where} (found {found})"
    else:
        match = ADDRESS.fullmatch(address)
        if not match or not 0 < int(match["port"]) < 65536:
            raise ValueError(f"{address!r} is not auto, HOST:PORT or ray://HOST:PORT")
        if match["client"] and importlib.util.find_spec("grpc") is None:
            raise EngineError(where, "ray:// needs Ray Client: pip install 'itnews[ray]'")
    if match is None:
        return  # an address Ray resolved in its own form: ray.init says what is wrong with it
    host, port = match["host"].strip("[]"), int(match["port"])
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise EngineError(where, f"nothing answers at {host}:{port} ({reason})") from None


def connect(address: str | None, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address`` (``auto``, ``host:port``, ``ray://host:port``), or start a
    local Ray. EngineError when Ray cannot be joined or started."""
    import logging
    import warnings

    import ray

    # The driver shows its own progress and one-line errors; Ray's execution reports would bury them.
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"ray\.")
    if ray.is_initialized():
        return
    try:
        with quiet_native_stderr(address is not None):
            ray.init(
                address=address,
                num_cpus=num_cpus if address is None else None,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
                configure_logging=True,
            )
    except Exception as err:  # Ray raises many types, some messages many lines long
        where = f"--address {address}" if address else "local Ray"
        raise EngineError(where, f"cannot connect: {first_line(err)}") from None


@contextmanager
def quiet_native_stderr(quiet: bool):
    """Joining a cluster, Ray's C++ client writes each retry to file descriptor 2 (a line a second for
    20 s at an address where something else listens): those lines go nowhere, our one line says it."""
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def run_on_ray(
    source,
    clean: Step,
    make_steps: Callable[[], list],
    sink,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    workers: int = 1,
    gpus_per_worker: float = 0,
    batch_size: int = 32,
    limit: int | None = None,
    display=None,
) -> RunSummary:
    """As `itnews.core.runner.run`, on Ray: ``clean`` runs in tasks; ``make_steps`` (a picklable callable,
    e.g. ``functools.partial(summary_steps, options)``) builds the model steps in each actor."""
    connect(address, num_cpus)
    summary = RunSummary(output=str(getattr(sink, "path", "")))
    stop = threading.Event()
    fresh = Fresh(source, sink.done, unique_ids=True, limit=limit, stop=stop)
    started = time.perf_counter()
    finished_cleanly = False
    try:
        with stop_on_sigint(stop):
            for window in windows(fresh, RECORDS_PER_WINDOW):
                for batch in summarised(window, clean, make_steps, workers, gpus_per_worker, batch_size):
                    deliver(batch, sink, summary, display, fresh.skipped, started)
                    if stop.is_set():
                        break
                if stop.is_set():
                    break
        finished_cleanly = not stop.is_set()
    finally:
        sink.close(finalise=finished_cleanly)
    summary.skipped, summary.interrupted = fresh.skipped, stop.is_set()
    summary.wall_s = time.perf_counter() - started
    summary.peak_rss_mb = peak_rss_mb()
    return summary


def windows(records, size: int) -> Iterator[list[Record]]:
    window: list[Record] = []
    for record in records:
        window.append(record)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def summarised(window, clean, make_steps, workers, gpus_per_worker, batch_size) -> Iterator[list[Record]]:
    """The window's records through Ray: cleaning tasks, then the actor pool; batches as they finish."""
    import ray

    dataset = ray.data.from_items(
        [{"record": encode(record)} for record in window],
        override_num_blocks=max(1, min(-(-len(window) // batch_size), 200)),  # about a batch a block
    )
    dataset = dataset.map_batches(
        functools.partial(run_steps, steps=[clean]), batch_size=batch_size, batch_format="numpy"
    )
    dataset = dataset.map_batches(
        StepsActor,
        fn_constructor_args=(make_steps,),
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=workers,
        num_gpus=gpus_per_worker or None,
    )
    for batch in dataset.iter_batches(batch_size=batch_size, batch_format="numpy"):
        yield [decode(text) for text in batch["record"]]
