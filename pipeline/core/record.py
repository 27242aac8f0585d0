"""The one record that carries an article from source to sink, and every output derived from it.

A `Record` is created by a source (an id, where it came from, and either its text or a file still
to read), filled in by the steps (cleaned text and sentences, summaries, provenance, checks,
warnings, timings) and written by a sink. A bad item is a record with ``status="error"`` and an
``error`` that says where and why; steps pass it through untouched.

The outputs are views of the record, chosen per field here and nowhere else:

- ``ingest``: `itnews ingest --json`, the cleaned article;
- ``summary``: `itnews summarise --json` (its errors go to stderr, so no status or error);
- ``batch``: `itnews batch` JSONL lines and Parquet rows (Parquet's schema follows the field types).

A field declared without ``views`` is in the summary and batch outputs, so a field a new step
fills reaches every output of summaries with no other edit.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from dataclasses import dataclass, field

INGEST, SUMMARY, BATCH = "ingest", "summary", "batch"
RESULT_VIEWS = (SUMMARY, BATCH)


class InputError(Exception):
    """A problem with one input item; it becomes an error record, or ``error: <item>: <reason>``."""

    def __init__(self, item: str, reason: str):
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


def valid_text(text: str) -> str:
    """Lone surrogates (undecodable bytes of a file name, ``"\\ud800"`` in JSON) as visible escapes:
    no sink can encode them, and an id must read back as it was written to be skipped on resume."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def views(*names: str) -> dict:
    return {"views": names}


@dataclass
class Record:
    id: str = field(metadata=views(INGEST, SUMMARY, BATCH))
    # The article, as the source gave it and cleaning left it.
    title: str | None = field(default=None, metadata=views(INGEST))
    text: str | None = field(default=None, metadata=views(INGEST))  # cleaned: blocks split by blank lines
    sentences: list[str] = field(default_factory=list, metadata=views(INGEST))
    # Which of the sentences are headings and subtitles (their indexes): never summary sentences.
    headings: list[int] = field(default_factory=list, metadata=views())
    lang: str | None = field(default=None, metadata=views(INGEST))  # detected, e.g. "it"
    source: str = field(default="", metadata=views(INGEST))  # a path, "stdin", or "file.jsonl:12"
    path: str | None = field(default=None, metadata=views())  # an article file still to read ("-": stdin)
    outlet: str | None = field(default=None, metadata=views())  # who published it (`itnews digest`)
    published: str | None = field(default=None, metadata=views())  # when, ISO 8601 (`itnews digest`)
    # What the steps made of it.
    status: str = field(default="ok", metadata=views(BATCH))  # "ok" or "error"
    summary_it: str | None = None
    summary_en: str | None = None
    method: str | None = field(default=None, metadata=views(SUMMARY))
    error: str | None = field(default=None, metadata=views(BATCH))  # "<where>: <reason>"
    model: dict = field(default_factory=dict)  # provenance: model ids, revisions, settings, device
    checks: dict = field(default_factory=dict)  # results of checks run after summarising, by check
    warnings: list[str] = field(default_factory=list, metadata=views(INGEST, SUMMARY, BATCH))
    timings: dict = field(default_factory=dict)  # seconds per step

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def fail(self, where: str, reason: str) -> Record:
        self.status, self.error = "error", f"{where}: {reason}"
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Record:
        return cls(**{name: values[name] for name in field_names() if name in values})


@functools.cache
def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(Record))


@functools.cache
def view_fields(view: str) -> tuple[str, ...]:
    """The fields of one output, in the record's order."""
    return tuple(f.name for f in dataclasses.fields(Record) if view in f.metadata.get("views", RESULT_VIEWS))


def output(record: Record, view: str) -> dict:
    return {name: getattr(record, name) for name in view_fields(view)}


def json_line(values: dict) -> bytes:
    """One JSON line, UTF-8. A lone surrogate (an undecodable file name, a ``"\\ud800"`` in an input)
    cannot be encoded as UTF-8; it is written as its JSON escape, which reads back as itself. So are
    U+2028 and U+2029, which `str.splitlines` and JavaScript take for line ends."""
    text = json.dumps(values, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return (text + "\n").encode("utf-8", "backslashreplace")


@functools.cache
def parquet_schema():
    """The batch view as Arrow columns. Mappings are JSON text: their keys vary with the models and
    steps run, and `datasets` reads no Arrow maps."""
    import pyarrow as pa

    hints = typing.get_type_hints(Record)
    types = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(), dict: pa.string()}

    def arrow_type(hint):
        if typing.get_origin(hint) is list:
            return pa.list_(arrow_type(typing.get_args(hint)[0]))
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)] or [hint]
        return types[typing.get_origin(options[0]) or options[0]]

    return pa.schema([(name, arrow_type(hints[name])) for name in view_fields(BATCH)])


def parquet_row(record: Record) -> dict:
    """The batch view as Arrow values: mappings as JSON text, and lone surrogates, which Arrow's
    UTF-8 strings cannot hold, as visible escapes (sources already write ids so)."""

    def arrow_value(value):
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        if isinstance(value, str):
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        if isinstance(value, list):
            return [arrow_value(item) for item in value]
        return value

    return {name: arrow_value(value) for name, value in output(record, BATCH).items()}
