"""The model process: where the chain is built once and every batch, check and digest runs.

The batcher (`itnews.service.batcher`) calls these functions in one child process. The steps are
pure Python in part (cleaning, the extractive summariser, the guard): run in a thread of the
server's process, they would hold the GIL for whole batches, and the event loop would wait for it
at every read and write, so that refusals (503) and health checks came late. In a process of its
own the chain runs at the runner's speed and the event loop stays free.

Everything here returns plain data (records, dicts); an exception becomes a RuntimeError with a
one-line message, which crosses the process boundary whatever the original held.
"""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable

from itnews.core.record import Record
from itnews.core.steps import Chain, apply

CHAIN: Chain = []  # built by `load`, in the model process


def one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def plain_errors(function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapped(*args):
        try:
            return function(*args)
        except Exception as err:  # the caller gets one line, never an unpicklable exception
            raise RuntimeError(one_line(err)) from None

    return wrapped


def ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: the server decides when this process stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@plain_errors
def load(make_chain: Callable[[], Chain]) -> tuple[dict, bool]:
    """Build the chain (the models load here); its models' provenance, and whether it has a model step."""
    global CHAIN
    CHAIN = make_chain()
    return loaded_models(CHAIN), any(getattr(step, "loads_model", False) for step in CHAIN)


@plain_errors
def summarise(records: list[Record]) -> list[Record]:
    return apply(CHAIN, records)


@plain_errors
def check(records: list[Record], summaries: dict) -> list[Record]:
    """`itnews check`'s chain: the summaries made elsewhere, put on their articles and checked."""
    from itnews.facts.guard import AttachSummaries, Guard
    from itnews.ingest.clean import Clean

    return apply([Clean(), AttachSummaries(summaries), Guard()], records)


@plain_errors
def digest(records: list[Record], words: int) -> tuple[list[dict], list[dict]]:
    """`itnews digest`'s work: clean, group, summarise the stories with the chain's summary steps."""
    from itnews.digest.build import build_stories, summarise_stories

    clean, *summary_steps = CHAIN
    records = apply([clean], records)
    failed = [{"id": r.id, "error": r.error} for r in records if not r.ok]
    articles = [r for r in records if r.ok]
    if not articles:
        return [], failed
    stories = build_stories(articles, words)
    summarise_stories(stories, articles, summary_steps)
    return [story.to_dict() for story in stories], failed


def loaded_models(chain: Chain) -> dict:
    """The provenance of the chain's models, as the records carry it."""
    from itnews.summarise.steps import Summarise, Translate

    loaded = {}
    for step in chain:
        if isinstance(step, Summarise):
            loaded.update(step.provenance())
        elif isinstance(step, Translate):
            loaded["translator"] = step.model.provenance()
    return loaded
