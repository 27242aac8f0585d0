"""The Ray engine: the local runner's steps and records, run by a pool of Ray actors on a laptop or a
cluster.

```
driver: source ─▶ Fresh (skip done ids, refuse duplicates) ─▶ batches ──▶ Ray actors, one batch each:
    cleaning, then the summary steps (models load once per actor)
driver: ◀── finished batches ─▶ the local engine's resumable sink (JSONL or Parquet)
```

- The steps are the local engine's: `Clean` and the summary steps (`summary_steps`) run in
  ``workers`` actors, each built on its worker from the options, so a model is loaded once per
  actor and never shipped from the driver. Records cross Ray as JSON text.
- The driver hands out the batches itself, one at a time to each actor, rather than through Ray
  Data's pool, so that a worker's death (out of memory, a crash in native code) surfaces as the
  failure of one known batch: Ray neither restarts the actor nor retries the call, the driver
  does. A batch whose worker dies runs again on a new actor; after DEATHS_PER_BATCH deaths it is
  split in halves, down to the one record that keeps killing its worker, which becomes an error
  record (``worker died N times on this record``) while its neighbours are summarised. Ray Data's
  pool restarts actors and retries tasks without limit, and a record that always kills its worker
  never let a run end.
- Nothing lost, nothing twice: only a batch's finished records reach the driver, which appends them
  to the same sinks as the local engine. A killed driver resumes with the same command, skipping
  ids already ok. The driver reads the source as batches are handed out, so its memory does not
  grow with the corpus.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from itnews.core.record import Record
from itnews.core.runner import Fresh, RunSummary, deliver, peak_rss_mb, stop_on_sigint
from itnews.core.steps import Step, apply
from itnews.summarise.presets import first_line

# A batch is run again after its worker dies (a neighbour's out-of-memory, a lost node), and split
# after this many deaths; a lone record is failed after as many.
DEATHS_PER_BATCH = 2
# An actor that dies while starting (loading its model) is replaced this many times in a row, then
# the run stops: every batch would wait for it.
STARTS_PER_WORKER = 3


def encode(record: Record) -> str:
    return json.dumps(record.to_dict())  # ASCII JSON: any string crosses unchanged


def decode(text: str) -> Record:
    return Record.from_dict(json.loads(text))


class StepsActor:
    """A Ray actor: builds the steps once (models load here), then runs many batches."""

    def __init__(self, clean: Step, make_steps: Callable[[], list]):
        self.steps = [clean, *make_steps()]

    def run(self, batch: list[str]) -> list[str]:
        """The steps on a batch of encoded records."""
        return [encode(record) for record in apply(self.steps, [decode(text) for text in batch])]


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

    # The driver shows its own progress and one-line errors; Ray's reports would bury them.
    logging.getLogger("ray").setLevel(logging.ERROR)
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
    """As `itnews.core.runner.run`, on Ray: ``clean`` and the steps that ``make_steps`` (a picklable
    callable, e.g. ``functools.partial(summary_steps, options)``) builds run in each actor."""
    connect(address, num_cpus)
    summary = RunSummary(output=str(getattr(sink, "path", "")))
    stop = threading.Event()
    fresh = Fresh(source, sink.done, unique_ids=True, limit=limit, stop=stop)
    started = time.perf_counter()
    finished_cleanly = False
    try:
        with stop_on_sigint(stop):
            pool = ActorPool(clean, make_steps, workers, gpus_per_worker)
            try:
                for batch in pool.summarised(batches(fresh, batch_size)):
                    deliver(batch, sink, summary, display, fresh.skipped, started)
                    if stop.is_set():
                        break
            finally:
                pool.close()
        finished_cleanly = not stop.is_set()
    finally:
        sink.close(finalise=finished_cleanly)
    summary.skipped, summary.interrupted = fresh.skipped, stop.is_set()
    summary.wall_s = time.perf_counter() - started
    summary.peak_rss_mb = peak_rss_mb()
    return summary


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Batch:
    records: list[Record]
    deaths: int = 0  # of the workers that ran it


class ActorPool:
    """``workers`` StepsActors, one batch at a time each, so that a death is its batch's. Ray neither
    restarts them nor retries their calls: a dead actor is replaced here, and its batch run again or
    split (the module's docstring says how)."""

    def __init__(self, clean: Step, make_steps: Callable[[], list], workers: int, gpus_per_worker: float):
        import ray

        self.actor_class = ray.remote(StepsActor).options(
            num_cpus=1, num_gpus=gpus_per_worker or None, max_restarts=0, max_task_retries=0
        )
        self.clean, self.make_steps = clean, make_steps
        self.starting: dict = {}  # ready call -> (actor, failed starts before it)
        self.running: dict = {}  # batch call -> (actor, Batch)
        self.idle: list = []
        for _ in range(workers):
            self.start(0)

    def start(self, failed_starts: int) -> None:
        actor = self.actor_class.remote(self.clean, self.make_steps)
        self.starting[actor.__ray_ready__.remote()] = (actor, failed_starts)

    def summarised(self, new_batches: Iterator[list[Record]]) -> Iterator[list[Record]]:
        """Each batch's records once, finished (ok or error), as batches finish."""
        import ray
        from ray.exceptions import OutOfMemoryError, RayActorError, WorkerCrashedError

        died = (RayActorError, WorkerCrashedError, OutOfMemoryError)
        again: deque[Batch] = deque()  # batches whose worker died, run before new ones
        exhausted = False
        while True:
            while self.idle and (again or not exhausted):
                batch = again.popleft() if again else Batch(next(new_batches, []))
                if not batch.records:
                    exhausted = True
                    break
                actor = self.idle.pop()
                self.running[actor.run.remote([encode(record) for record in batch.records])] = (actor, batch)
            if not self.running and (exhausted and not again):
                return
            [call], _ = ray.wait([*self.starting, *self.running], num_returns=1)
            if call in self.starting:
                actor, failed_starts = self.starting.pop(call)
                try:
                    ray.get(call)
                except died as err:
                    if failed_starts + 1 == STARTS_PER_WORKER:
                        reason = f"a worker died {STARTS_PER_WORKER} times while starting: {first_line(err)}"
                        raise EngineError("Ray", reason) from None
                    self.start(failed_starts + 1)
                    continue
                self.idle.append(actor)
                continue
            actor, batch = self.running.pop(call)
            try:
                finished = ray.get(call)
            except died:
                ray.kill(actor)  # dead already, or not to be trusted with another batch
                self.start(0)
                yield from died_on(batch, again)
                continue
            self.idle.append(actor)
            yield [decode(text) for text in finished]

    def close(self) -> None:
        import ray

        for actor in [*self.idle, *(actor for actor, _ in [*self.starting.values(), *self.running.values()])]:
            ray.kill(actor)


def died_on(batch: Batch, again: deque[Batch]) -> Iterator[list[Record]]:
    """A batch whose worker died: run again, split in halves (to be run first), or, for a lone record
    after DEATHS_PER_BATCH deaths, failed."""
    batch.deaths += 1
    if batch.deaths < DEATHS_PER_BATCH:
        again.appendleft(batch)
    elif len(batch.records) > 1:
        half = len(batch.records) // 2
        again.extendleft([Batch(batch.records[half:]), Batch(batch.records[:half])])
    else:
        [record] = batch.records
        yield [record.fail(record.source, f"worker died {batch.deaths} times on this record")]
