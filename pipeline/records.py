"""The records that move between stages, and the one error type for bad input."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class InputError(Exception):
    """A problem with one input item. The CLI prints it as ``error: <item>: <reason>``."""

    def __init__(self, item: str, reason: str):
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


@dataclass
class Article:
    """A cleaned article, ready to summarise."""

    id: str
    title: str | None
    text: str  # cleaned body: paragraphs separated by blank lines, list items one per line
    sentences: list[str]
    lang: str  # detected language code, e.g. "it"
    source: str  # where it came from: a path, "stdin", or "file.jsonl:12"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Result:
    """The summaries of one article, or the reason there are none."""

    id: str
    status: str  # "ok" or "error"
    summary_it: str | None = None
    summary_en: str | None = None
    method: str | None = None
    model: dict = field(default_factory=dict)  # provenance: model ids, revisions, settings, device
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    timings: dict = field(default_factory=dict)  # seconds per stage

    def to_dict(self) -> dict:
        return asdict(self)
