"""The dynamic batcher: records from concurrent requests gathered into batches for one chain of steps.

```
request (event loop) ─submit─▶ bounded queue ─▶ batcher thread: gather up to max_batch records or
    max_wait, sort by length ─▶ model process: the chain ─▶ each request gets its records back
```

- The chain is the command line's (`build_chain`), built once from a factory in the model process
  (`itnews.service.worker`), which then runs every batch, check and digest, one at a time. Models
  load there while the event loop answers health checks; no step runs in the server's process.
- Batches are sorted by length before they are cut to ``max_batch``, so a batch pads little; the
  models' own token budget (`length_sorted_batches`) splits them further, as on the batch path. A
  chain without a model step gains nothing from a fuller batch: its batches take what is queued
  and do not wait.
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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from itnews.core.record import Record
from itnews.core.steps import Chain
from itnews.service import worker

STOP = None  # put on the queue: the batcher finishes what it has and ends
READY_POLL_S = 0.1


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
    """Starts the model process and loads the chain (``make_chain``, picklable) there, then runs
    batches of the records that requests `submit`. ``on_batch(size, seconds)`` and
    ``on_depth(waiting)`` report to metrics; ``on_fatal(reason)`` is told if the models cannot be
    loaded or the model process dies."""

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
        self.loaded: dict | None = None  # the models' provenance, once loaded
        self.load_error: str | None = None
        self.waiting = 0  # records queued and not yet in a batch
        self.lock = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self.work, name="itnews-batcher", daemon=True)
        self.process: ProcessPoolExecutor | None = None

    @property
    def ready(self) -> bool:
        return self.loaded is not None and self.load_error is None

    def start(self) -> None:
        import multiprocessing

        # spawn: a fork of a process with an event loop and threads running may inherit held locks
        context = multiprocessing.get_context("spawn")
        self.process = ProcessPoolExecutor(1, mp_context=context, initializer=worker.ignore_interrupts)
        self.thread.start()

    def stop(self, timeout: float) -> None:
        """Finish the batches queued, then end the thread and the model process."""
        self.jobs.put(STOP)
        self.thread.join(timeout)
        if self.process is not None:
            self.process.shutdown(wait=True, cancel_futures=True)

    def check_ready(self) -> None:
        if self.load_error is not None:
            raise NotReady(f"the models are not available: {self.load_error}")
        if self.loaded is None:
            raise NotReady("the models are loading")

    async def until_ready(self) -> None:
        """Returns once the models are loaded; NotReady if they cannot be, or the model process died."""
        while self.loaded is None and self.load_error is None:
            await asyncio.sleep(READY_POLL_S)
        self.check_ready()

    async def call(self, function: Callable, *args):
        """``function(*args)`` in the model process, after the batches already sent there."""
        self.check_ready()
        return await asyncio.wrap_future(self.process.submit(function, *args))

    async def submit(self, records: list[Record]) -> list[Record]:
        """The records after the chain, run in a batch with other requests' records. Raises
        QueueFull or NotReady at once."""
        self.check_ready()
        with self.lock:
            if self.waiting + len(records) > self.queue_limit:
                articles = f"{self.waiting} article{'s' * (self.waiting != 1)}"
                raise QueueFull(f"the queue is full ({articles} waiting)")
            self.waiting += len(records)
            waiting = self.waiting
        loop = asyncio.get_running_loop()
        job = Job(records, loop.create_future(), loop)
        self.jobs.put(job)
        self.on_depth(waiting)
        return await job.future  # cancelled with the request (a timeout): the batcher skips it

    def release(self, count: int) -> None:
        with self.lock:
            self.waiting -= count
            waiting = self.waiting
        self.on_depth(waiting)

    def work(self) -> None:
        try:
            loaded, has_model_step = self.process.submit(worker.load, self.make_chain).result()
        except Exception as err:  # ModelUnavailable, or the process died: one line, and the server stops
            self.fail(worker.one_line(err))
            return
        if not has_model_step:
            self.max_wait_s = 0.0
        self.loaded = loaded
        stopping = False
        while not stopping:
            jobs, stopping = self.gather()
            if jobs:
                self.run(jobs)

    def fail(self, reason: str) -> None:
        self.load_error = reason
        self.on_fatal(reason)
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not STOP:
                self.release(len(job.records))
                job.settle(NotReady(f"the models are not available: {reason}"))

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
        from concurrent.futures.process import BrokenProcessPool

        live = []
        for job in jobs:
            self.release(len(job.records))
            if not job.future.cancelled():
                live.append(job)
                job.results = [None] * len(job.records)
        places = [(job, i) for job in live for i in range(len(job.records))]
        places.sort(key=lambda place: len(place[0].records[place[1]].text or ""))
        for start in range(0, len(places), self.max_batch):
            chunk = places[start : start + self.max_batch]
            started = time.perf_counter()
            try:
                done = self.process.submit(worker.summarise, [job.records[i] for job, i in chunk]).result()
            except Exception as err:  # outside any one record (steps isolate theirs): fail the requests
                for job in {id(job): job for job, _ in chunk}.values():
                    job.settle(RuntimeError(worker.one_line(err)))
                if isinstance(err, BrokenProcessPool):
                    self.fail("the model process died")
                    return
                continue
            self.on_batch(len(chunk), time.perf_counter() - started)
            for (job, i), record in zip(chunk, done, strict=True):
                job.results[i] = record
        for job in live:
            if all(record is not None for record in job.results):
                job.settle(job.results)
