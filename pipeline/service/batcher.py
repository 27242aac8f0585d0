"""The dynamic batcher: records from concurrent requests gathered into batches for one chain of steps.

```
request (event loop) ─submit─▶ bounded queue ─▶ batcher thread: gather up to max_batch records or
    max_wait, sort by length, run the chain's model steps, hand each request its records back
```

- The chain is the command line's (`summary_chain`), built once, in the batcher's thread, from a
  factory: models load there while the event loop answers health checks, and generation never
  runs on the event loop.
- As in the local runner, the steps before the first model step (cleaning) run in the request's
  worker thread, so cleaning overlaps with generation; a chain without a model step runs whole in
  the batcher (pure-Python steps take turns on the GIL anyway, and the queue bounds them), and its
  batches take what is queued without waiting for more.
- Batches are sorted by length before they are cut to ``max_batch``, so a batch pads little; the
  models' own token budget (`length_sorted_batches`) splits them further, as on the batch path.
- The queue holds at most ``queue_limit`` records waiting: a request that does not fit is refused
  at once (`QueueFull`), never left to wait without bound. A request that timed out is dropped
  from the queue if its batch has not started.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from itnews.core.record import Record
from itnews.core.steps import Chain, apply

STOP = None  # put on the queue: the batcher finishes what it has and ends


class QueueFull(Exception):
    """Too many records waiting: the request is refused (503 with Retry-After)."""


class NotReady(Exception):
    """The models are still loading, or failed to load (503)."""


@dataclass
class Job:
    records: list[Record]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    results: list[Record | None] = field(default_factory=list)

    def settle(self, outcome: list[Record] | BaseException) -> None:
        """Hand the outcome to the waiting request, unless it has given up (timed out)."""

        def set_outcome() -> None:
            if self.future.done():
                return
            if isinstance(outcome, BaseException):
                self.future.set_exception(outcome)
            else:
                self.future.set_result(outcome)

        self.loop.call_soon_threadsafe(set_outcome)


class Batcher:
    """Loads the chain (``make_chain``) once in its own thread, then runs batches of the records
    that requests `submit`. ``on_batch(size, seconds)`` and ``on_depth(waiting)`` report to metrics;
    ``on_fatal(reason)`` is told if the models cannot be loaded."""

    def __init__(
        self,
        make_chain: Callable[[], Chain],
        *,
        max_batch: int,
        max_wait_s: float,
        queue_limit: int,
        on_batch: Callable[[int, float], None] = lambda size, seconds: None,
        on_depth: Callable[[int], None] = lambda waiting: None,
        on_fatal: Callable[[str], None] = lambda reason: None,
    ):
        self.make_chain, self.max_batch, self.max_wait_s = make_chain, max_batch, max_wait_s
        self.queue_limit = queue_limit
        self.on_batch, self.on_depth, self.on_fatal = on_batch, on_depth, on_fatal
        self.chain: Chain | None = None
        self.light: Chain = []  # steps before the first model step: run in the request's thread
        self.heavy: Chain = []
        self.load_error: str | None = None
        self.waiting = 0  # records queued and not yet in a batch
        self.lock = threading.Lock()
        # Model steps are used by one thread at a time: the batcher, or a digest's story summaries.
        self.model_lock = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self.work, name="itnews-batcher", daemon=True)

    @property
    def ready(self) -> bool:
        return self.chain is not None

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float) -> None:
        """Finish the batches queued, then end the thread (within ``timeout`` seconds)."""
        self.jobs.put(STOP)
        self.thread.join(timeout)

    def check_ready(self) -> None:
        if self.load_error is not None:
            raise NotReady(f"the models failed to load: {self.load_error}")
        if self.chain is None:
            raise NotReady("the models are loading")

    async def submit(self, records: list[Record]) -> list[Record]:
        """The records after the whole chain: the light steps in a worker thread, then the model
        steps in a batch with other requests' records. Raises QueueFull or NotReady at once."""
        from starlette.concurrency import run_in_threadpool

        self.check_ready()
        with self.lock:
            if self.waiting + len(records) > self.queue_limit:
                raise QueueFull(f"the queue is full ({self.waiting} articles waiting)")
            self.waiting += len(records)  # reserved before cleaning, so admission is decided now
        try:
            if self.light:
                records = await run_in_threadpool(apply, self.light, records)
            loop = asyncio.get_running_loop()
            job = Job(records, loop.create_future(), loop)
            self.jobs.put(job)
            self.on_depth(self.waiting)
        except BaseException:
            self.release(len(records))
            raise
        return await job.future  # cancelled with the request (a timeout): the batcher skips it

    def release(self, count: int) -> None:
        with self.lock:
            self.waiting -= count
            waiting = self.waiting
        self.on_depth(waiting)

    def work(self) -> None:
        try:
            chain = self.make_chain()
        except Exception as err:  # ModelUnavailable, or anything else: one line, and the server stops
            self.load_error = " ".join(str(err).split()) or type(err).__name__
            self.on_fatal(self.load_error)
            self.fail_queued()
            return
        split = next((i for i, step in enumerate(chain) if getattr(step, "loads_model", False)), None)
        if split is None:  # nothing gains from a fuller batch: take what is queued, never wait
            split, self.max_wait_s = 0, 0.0
        self.light, self.heavy = chain[:split], chain[split:]
        self.chain = chain
        stopping = False
        while not stopping:
            jobs, stopping = self.gather()
            if jobs:
                self.run(jobs)

    def gather(self) -> tuple[list[Job], bool]:
        """The next batch's jobs: the first to come, then others until max_batch records or
        max_wait_s after the first. True when the queue said stop."""
        first = self.jobs.get()
        if first is STOP:
            return [], True
        jobs, size = [first], len(first.records)
        deadline = time.monotonic() + self.max_wait_s
        while size < self.max_batch:
            try:
                job = self.jobs.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is STOP:
                return jobs, True
            jobs.append(job)
            size += len(job.records)
        return jobs, False

    def run(self, jobs: list[Job]) -> None:
        live = []
        for job in jobs:
            self.release(len(job.records))
            if not job.future.cancelled():
                live.append(job)
        places = [(job, i) for job in live for i in range(len(job.records))]
        places.sort(key=lambda place: len(place[0].records[place[1]].text or ""))
        for job in live:
            job.results = [None] * len(job.records)
        for start in range(0, len(places), self.max_batch):
            chunk = places[start : start + self.max_batch]
            started = time.perf_counter()
            try:
                with self.model_lock:
                    done = apply(self.heavy, [job.records[i] for job, i in chunk])
            except Exception as err:  # outside any one record (steps isolate theirs): fail the requests
                for job in {id(job): job for job, _ in chunk}.values():
                    job.settle(RuntimeError(f"{type(err).__name__}: {err}"))
                continue
            self.on_batch(len(chunk), time.perf_counter() - started)
            for (job, i), record in zip(chunk, done, strict=True):
                job.results[i] = record
        for job in live:
            if all(record is not None for record in job.results):
                job.settle(job.results)

    def fail_queued(self) -> None:
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not STOP:
                self.release(len(job.records))
                job.settle(NotReady(f"the models failed to load: {self.load_error}"))
