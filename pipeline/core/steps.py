"""The step contract: a step takes a batch of records and returns it.

Every command is a chain of steps between a source and a sink (`itnews.core.runner`):

```
source ─▶ Clean ─▶ Summarise ─▶ Translate ─▶ DropItalian ─▶ Guard ─▶ sink
```

A step fills in its ``ok`` records and passes error records through untouched. Steps that hold a
model load it once, in ``__init__``, and then run many batches: the shape that a local loop and
a Ray actor both run. A step subclasses `Step` and writes
`process`; `Step.__call__` adds what every step needs:

- fault isolation: if a batch fails, each record is retried alone, so one bad article becomes one
  error record (``<source>: <reason>``) instead of sinking its neighbours;
- timings: each record gets its equal share of the batch's wall time under ``timing_key``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from itnews.core.record import InputError, Record

Chain = list[Callable[[list[Record]], list[Record]]]


class Step:
    timing_key: str = ""  # e.g. "summarise_it_s"; empty: not timed
    loads_model: bool = False  # runners keep such steps in one long-lived place (main thread, actor)

    def process(self, records: list[Record]) -> None:
        """Fill in ``records`` (all ok) in place; raise to fail them."""
        raise NotImplementedError

    def __call__(self, batch: list[Record]) -> list[Record]:
        self._isolated([record for record in batch if record.ok])
        return batch

    def _isolated(self, records: list[Record]) -> None:
        if not records:
            return
        started = time.perf_counter()
        try:
            self.process(records)
        except Exception as err:  # any failure, on whatever input: retry alone, or fail the record
            if len(records) == 1:
                fail(records[0], err)
            else:
                for record in records:
                    self._isolated([record])
            return
        if self.timing_key:
            share = round((time.perf_counter() - started) / len(records), 4)
            for record in records:
                record.timings[self.timing_key] = share


def fail(record: Record, err: Exception) -> None:
    if isinstance(err, InputError):
        record.fail(err.item, err.reason)
    else:
        record.fail(record.source, f"{type(err).__name__}: {err}")


def apply(chain: Chain, batch: list[Record]) -> list[Record]:
    for step in chain:
        batch = step(batch)
    return batch
