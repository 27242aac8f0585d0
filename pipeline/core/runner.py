"""The local runner: reads a source, runs a chain of steps on batches, writes them to a sink.

```
source ──Record──▶ reader thread: skip done ids, refuse duplicates, leading light steps (cleaning),
    sort a window by length ──bounded queue──▶ main thread: model steps ──▶ sink.write (per batch)
```

- The reader runs the chain's leading steps that load no model; the main thread runs the rest, so
  cleaning the next batches overlaps with generation (torch and the Rust tokenizers release the
  GIL). Without a model step there is nothing to overlap: ftfy, trafilatura and the extractive
  summariser are pure Python and take turns on the GIL.
- With a model step, batches are formed from windows sorted by length, so that a batch pads
  little. Windows grow from one batch to WINDOW_BATCHES, so the first batch is not held back
  while a whole window is cleaned. Without one, records keep their input order.
- Ctrl-C once: finish the current batch, then stop; twice: stop at once. Every batch written
  before the stop is kept by the sink.
- The only per-corpus state is the set of ids seen (tens of bytes per id).
"""

from __future__ import annotations

import contextlib
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from itnews.core.record import InputError, Record
from itnews.core.steps import Chain, apply

WINDOW_BATCHES = 8  # the largest window sorted by length, in batches


@dataclass
class RunSummary:
    output: str
    ok: int = 0
    error: int = 0
    skipped: int = 0  # ids already ok in the output, from an earlier run
    wall_s: float = 0.0  # from the first record read (models are loaded by then)
    peak_rss_mb: float = 0.0
    interrupted: bool = False

    def count(self, batch: list[Record]) -> None:
        ok = sum(record.ok for record in batch)
        self.ok, self.error = self.ok + ok, self.error + len(batch) - ok

    @property
    def rate(self) -> float:
        return (self.ok + self.error) / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        return (
            f"batch: {self.ok} ok, {self.error} error, {self.skipped} skipped (already ok) in "
            f"{self.wall_s:.1f} s, {self.rate:.1f} articles/s, peak memory {self.peak_rss_mb:.0f} MB"
            f" -> {self.output}"
        )


def run(
    source: Iterable[Record],
    chain: Chain,
    sink,
    *,
    batch_size: int = 32,
    limit: int | None = None,
    display=None,
    unique_ids: bool = False,
) -> RunSummary:
    """Run ``chain`` over every record of ``source`` not already done in ``sink`` (``sink.done``),
    writing batch by batch. ``display`` (optional) is told of each batch written. ``unique_ids``:
    a record whose id came earlier is an error record under an id of its own (a resumable sink
    keeps one record per id; printing to stdout needs no such rule)."""
    split = next((i for i, step in enumerate(chain) if getattr(step, "loads_model", False)), len(chain))
    summary = RunSummary(output=str(getattr(sink, "path", "")))
    stop = threading.Event()
    fresh = Fresh(source, sink.done, unique_ids=unique_ids, limit=limit, stop=stop)
    reader = Reader(fresh, chain[:split], stop, batch_size, sort=split < len(chain))
    started = time.perf_counter()
    finished_cleanly = False
    try:
        with stop_on_sigint(stop):
            reader.start()
            for batch in reader.taken():
                deliver(apply(chain[split:], batch), sink, summary, display, fresh.skipped, started)
                if stop.is_set():
                    break
        finished_cleanly = True
    finally:
        stop.set()  # the reader, if still going, stops at its next record
        sink.close(finalise=finished_cleanly)
    reader.join(timeout=5)
    summary.skipped = fresh.skipped
    summary.interrupted = not reader.finished
    summary.wall_s = time.perf_counter() - started
    summary.peak_rss_mb = peak_rss_mb()
    return summary


def deliver(batch: list[Record], sink, summary: RunSummary, display, skipped: int, started: float) -> None:
    """A finished batch: written, counted, shown."""
    sink.write(batch)
    summary.count(batch)
    if display is not None:
        display.update(summary, skipped, time.perf_counter() - started, batch)


class Fresh:
    """The records of a source still to do: ids already done are skipped (and counted), and with
    ``unique_ids`` a record whose id came earlier becomes an error record under an id of its own."""

    def __init__(self, source, done, *, unique_ids: bool, limit: int | None, stop: threading.Event):
        self.source, self.done, self.unique_ids, self.limit, self.stop = source, done, unique_ids, limit, stop
        self.skipped = 0  # written by the thread that iterates; read by others for display

    def __iter__(self) -> Iterator[Record]:
        seen: set[str] = set()
        for number, record in enumerate(self.source, 1):
            if self.stop.is_set():
                return
            if self.unique_ids and record.id in seen:  # every row keeps a record of its own
                original = record.id
                record.id = unique_id(record.source, seen)
                reason = f"duplicate id {original!r} (an earlier record has it); ids must be unique"
                record.fail(record.source, reason)
            if self.unique_ids:
                seen.add(record.id)
            if record.id in self.done:
                self.skipped += 1
            else:
                yield record
            if number == self.limit:
                return


class Reader(threading.Thread):
    """Reads the source, skips ids already done, refuses duplicate ids, runs the light steps and
    hands over batches through a queue that holds at most a window's batches: that bounds the
    memory the reader can run ahead with."""

    def __init__(self, fresh: Fresh, steps: Chain, stop, batch_size: int, sort: bool):
        super().__init__(name="itnews-reader", daemon=True)
        self.fresh, self.steps, self.stop = fresh, steps, stop
        self.batch_size, self.sort = batch_size, sort
        self.batches: queue.Queue = queue.Queue(maxsize=WINDOW_BATCHES)
        self.finished = False  # set by the main thread once it has taken the last batch

    def run(self) -> None:
        try:
            window: list[Record] = []
            window_batches = 1
            for batch in self.fresh_batches():
                window += apply(self.steps, batch)
                if len(window) >= window_batches * self.batch_size or not self.sort:
                    self.hand_over(window)
                    window, window_batches = [], min(2 * window_batches, WINDOW_BATCHES)
            self.hand_over(window)
            self.put(None)
        except Exception as err:  # reading failed outside any one record: end the run, saying why
            where = getattr(self.fresh.source, "path", "input")
            self.put(InputError(where, f"reading stopped: {type(err).__name__}: {err}"))

    def fresh_batches(self) -> Iterator[list[Record]]:
        batch: list[Record] = []
        for record in self.fresh:
            batch.append(record)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def hand_over(self, window: list[Record]) -> None:
        if self.sort:
            window.sort(key=lambda record: len(record.text or "") if record.ok else 0)
        for start in range(0, len(window), self.batch_size):
            self.put(window[start : start + self.batch_size])

    def put(self, value) -> None:
        """Blocks while the queue is full, but gives up once the run is stopping."""
        while not self.stop.is_set():
            try:
                self.batches.put(value, timeout=0.1)
                return
            except queue.Full:
                continue

    def taken(self) -> Iterator[list[Record]]:
        """The batches, in the main thread, until the last one or until the run is stopped."""
        while True:
            try:
                batch = self.batches.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    return
                continue
            if batch is None:
                self.finished = True
                return
            if isinstance(batch, Exception):
                raise batch
            yield batch


class Collect:
    """A sink that keeps the records in memory, and each one's latency: the time from the write
    before its batch's (or from the start) to its batch's."""

    done: frozenset[str] = frozenset()

    def __init__(self):
        self.records: list[Record] = []
        self.latencies: list[float] = []
        self.last_write = time.perf_counter()

    def write(self, records: list[Record]) -> None:
        now = time.perf_counter()
        self.records += records
        self.latencies += [now - self.last_write] * len(records)
        self.last_write = now

    def close(self, finalise: bool = True) -> None:
        pass


def unique_id(place: str, seen: set[str]) -> str:
    """A duplicate's id: its place (``file:row``), made unique should a real id already be that."""
    candidate, suffix = place, 1
    while candidate in seen:
        suffix += 1
        candidate = f"{place}#{suffix}"
    return candidate


@contextlib.contextmanager
def stop_on_sigint(stop: threading.Event):
    """First Ctrl-C: finish the current batch, then stop. A second one stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print(
            "\nstopping after the current batch (Ctrl-C again to stop at once)", file=sys.stderr, flush=True
        )

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def peak_rss_mb() -> float:
    """This process's peak resident memory (the kernel keeps the maximum)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux
