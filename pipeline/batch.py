"""Batch runs: summarise a whole corpus into one JSONL or Parquet file, streaming and resumably.

```
source ──Item──▶ reader thread: skip done ids, clean, sort a window by length ──bounded queue──▶
    main thread: summarise one batch ──▶ sink: append the batch durably ──▶ (end) compact / assemble
```

- Sources (`open_source`): a folder of .txt/.html articles, a .jsonl/.csv/.parquet file, a
  `save_to_disk` folder or a hub dataset. Each yields `Item`s lazily, so memory does not grow
  with the corpus; the only per-corpus state is the set of ids seen (tens of bytes per id),
  needed to skip finished ids and to refuse duplicates.
- Errors are data: a record that cannot be read or cleaned, or that the model fails on, becomes
  an ``error`` record saying where it is and why, and the run goes on.
- Sinks (`open_sink`) keep every finished batch through a kill at any instant and resume from
  what is there: ids already ``ok`` are skipped, failed ones retried. A JSONL output is appended
  and fsynced per batch. A Parquet file cannot be appended to, so each batch becomes a part file
  in ``OUT.parts/``, renamed into place whole; the end of the run merges OUT and the parts into a
  new OUT. Either way the end of the run leaves one record per id (ok if any run got one, else
  the latest error), replacing the file atomically.
- Threads: the reader cleans the next batches while the main thread summarises. Generation
  (torch) and tokenization (Rust tokenizers) release the GIL, so cleaning really overlaps with a
  seq2seq model; ftfy, pysbd and the extractive summariser are pure Python and take turns on the
  GIL, so with the extractive summariser the overlap gains little. The threads share only the
  queue, the read-only set of done ids and counters the reader alone writes. One exception:
  translation splits sentences in the main thread with the pysbd segmenter that the reader
  cleans with, and pysbd keeps per-call state on the segmenter, so until ingest gives each
  thread its own, a run with a translator can rarely mix up sentences (the strict xfail in
  tests/test_batch.py marks it).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itnews.records import Article, InputError, Result

ARTICLE_SUFFIXES = {".txt", ".html", ".htm"}
RECORD_SUFFIXES = {".jsonl", ".csv", ".parquet"}
RECORD_KINDS = {suffix.lstrip(".") for suffix in RECORD_SUFFIXES}
DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")  # written by save_to_disk
OUTPUT_FIELDS = ("id", "status", "summary_it", "summary_en", "error", "model", "warnings", "timings")
MAX_LINE_BYTES = 10 * 1024 * 1024  # as ingest's file limit: a longer JSONL line is not one article
WINDOW_BATCHES = 8  # the reader sorts this many batches' worth of articles by length at a time
MAX_REPORTED_ERRORS = 10  # printed as they happen; all of them are in the output


@dataclass(frozen=True)
class Fields:
    """Which record fields hold the text, the id and the title."""

    text: str = "text"
    id: str = "id"
    title: str = "title"


@dataclass
class Item:
    """One input before cleaning: enough to skip it by id, to clean it, or to say why it cannot be."""

    id: str
    source: str  # "<file>:<row>" or an article's path: where to look, in error messages
    text: str | None = None
    title: str | None = None
    path: str | None = None  # an article file, read by `read_article`
    problem: str | None = None  # why the record is unusable (malformed line, no text field)


@dataclass
class Failed:
    """An input that gives no article: written as an error record, without running the model."""

    id: str
    error: str  # "<source>: <reason>"


# --- sources --------------------------------------------------------------------------------


@dataclass
class Source:
    """An opened input. Opening checks it (the text column exists, the dataset loads) before any
    model is loaded; `items` then reads it lazily."""

    path: str
    kind: str  # directory | jsonl | csv | parquet | dataset | hub
    fields: Fields
    split: str = "train"
    columns: list[str] | None = None  # the fields present, for tables whose columns are known
    dataset: Any = None  # the `datasets` dataset, for dataset and hub inputs

    @property
    def stem(self) -> str:
        """The prefix of row ids for records without an id: ``<stem>:<row>``."""
        return Path(self.path).stem if self.kind in RECORD_KINDS else Path(self.path).name

    def items(self) -> Iterator[Item]:
        if self.kind == "directory":
            return directory_items(self.path)
        if self.kind == "jsonl":
            return jsonl_items(self.path, self.stem, self.fields)
        return table_items(self.path, self.stem, self.rows(), self.fields)

    def rows(self) -> Iterable[dict]:
        from datasets import Features, Value, load_dataset

        if self.kind == "csv":
            # Cells as written: string columns keep ids like "007", and "NA" or "null" is text, not
            # missing. Undecodable bytes become U+FFFD, caught per record, instead of failing the
            # file (pandas `converters` would ignore `encoding_errors`: hence `features`).
            return load_dataset(
                "csv",
                data_files=self.path,
                split="train",
                streaming=True,
                usecols=self.columns,
                features=Features(dict.fromkeys(self.columns, Value("string"))),
                keep_default_na=False,
                encoding_errors="replace",
            )
        if self.kind == "parquet":
            return load_dataset(
                "parquet", data_files=self.path, split="train", streaming=True, columns=self.columns
            )
        return self.dataset.select_columns(self.columns) if self.columns else self.dataset

    def count(self) -> int | None:
        """How many records, for the progress bar: exact, estimated from lines, or None if unknown."""
        if self.kind == "directory":
            return sum(1 for _ in directory_items(self.path))
        if self.kind in ("jsonl", "csv"):  # one record a line; a CSV cell may span lines (rare)
            return count_lines(self.path) - (self.kind == "csv")
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.path).metadata.num_rows
        if self.kind == "dataset":
            return len(self.dataset)
        splits = getattr(self.dataset.info, "splits", None) or {}
        return splits[self.split].num_examples if self.split in splits else None


def open_source(path: str, fields: Fields, split: str = "train") -> Source:
    """The input at ``path``: a folder of articles, a record file, a `save_to_disk` folder, or else
    a dataset on the hub. Raises InputError when it cannot be used at all."""
    location = Path(path)
    if location.is_dir():
        if not any((location / marker).exists() for marker in DATASET_MARKERS):
            return Source(path, "directory", fields)
        from datasets import DatasetDict, load_from_disk

        dataset = load_from_disk(path)
        if isinstance(dataset, DatasetDict):
            if split not in dataset:
                raise InputError(path, f"no split {split!r} (splits: {', '.join(dataset)}); use --split")
            dataset = dataset[split]
        return Source(
            path, "dataset", fields, split, present_fields(path, dataset.column_names, fields), dataset
        )
    suffix = location.suffix.lower()
    if location.is_file():
        if suffix not in RECORD_SUFFIXES:
            raise InputError(path, "expected a folder, a .jsonl, .csv or .parquet file, or a dataset")
        kind = suffix.lstrip(".")
        return Source(path, kind, fields, columns=present_fields(path, file_columns(location, kind), fields))
    if suffix in RECORD_SUFFIXES or (location.parent != Path(".") and location.parent.exists()):
        raise InputError(path, "no such file or directory")
    from datasets import load_dataset

    try:
        dataset = load_dataset(path, split=split, streaming=True)
    except Exception as err:  # offline, unknown name, no such split: all mean the same here
        raise InputError(path, f"no such file or directory, and not a loadable hub dataset: {err}") from None
    return Source(path, "hub", fields, split, present_fields(path, dataset.column_names, fields), dataset)


def file_columns(location: Path, kind: str) -> list[str] | None:
    """A table's column names, read cheaply (CSV header, Parquet schema); None for JSONL."""
    if kind == "csv":
        import csv

        with location.open(newline="", encoding="utf-8", errors="replace") as file:
            return next(csv.reader(file), [])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.read_schema(location).names
    return None


def present_fields(path: str, columns: list[str] | None, fields: Fields) -> list[str] | None:
    """The fields among a table's columns. Without the text column every record would fail: refuse."""
    if columns is None:
        return None
    if fields.text not in columns:
        raise InputError(
            path,
            f"no column {fields.text!r} (columns: {', '.join(columns)}); name the text with --text-field",
        )
    return [name for name in dict.fromkeys((fields.id, fields.text, fields.title)) if name in columns]


def directory_items(root: str) -> Iterator[Item]:
    """Article files, sorted, sub-folders included. The id is the path under ``root`` without the
    suffix: the file's stem, as `itnews summarise` names it, for files at the top."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            file = Path(folder, name)
            if file.suffix.lower() in ARTICLE_SUFFIXES:
                article_id = file.relative_to(root).with_suffix("").as_posix()
                yield Item(article_id, str(file), path=str(file))


def jsonl_items(path: str, stem: str, fields: Fields) -> Iterator[Item]:
    """One item per non-blank line. Read here line by line rather than by `datasets`: its JSON
    loader parses a whole block with pyarrow and fails the whole file on one malformed line, and a
    bad line must become one error record, with its line number, the rest of the file still read."""
    with open(path, "rb") as file:
        for number, line in enumerate(bounded_lines(file), 1):
            if not line.strip():
                continue
            fallback_id, source = f"{stem}:{number}", f"{path}:{number}"
            if len(line) > MAX_LINE_BYTES:
                yield Item(fallback_id, source, problem=f"line longer than {MAX_LINE_BYTES // 2**20} MB")
                continue
            try:
                record = json.loads(line.rstrip(b"\r\n").decode("utf-8-sig"))
            except UnicodeDecodeError as err:
                yield Item(fallback_id, source, problem=f"undecodable line, not UTF-8: {err.reason}")
                continue
            except json.JSONDecodeError as err:
                yield Item(
                    fallback_id, source, problem=f"malformed JSON line: {err.msg} (column {err.colno})"
                )
                continue
            if not isinstance(record, dict):
                yield Item(fallback_id, source, problem=f"not a JSON object but {type(record).__name__}")
                continue
            yield record_item(record, fields, fallback_id, source)


def bounded_lines(file) -> Iterator[bytes]:
    """The lines of a binary file; one longer than MAX_LINE_BYTES comes as an oversize stub, not
    whole, so that one runaway line cannot take all the memory."""
    while line := file.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := file.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


def table_items(path: str, stem: str, rows: Iterable[dict], fields: Fields) -> Iterator[Item]:
    """Items of a CSV, Parquet or dataset, rows counted from 1. A file that stops parsing part-way
    (a CSV quote left open swallows the lines after it, so its rows cannot be told apart) ends
    with one error record saying where reading stopped."""
    number = 0
    try:
        for number, row in enumerate(rows, 1):
            yield record_item(row, fields, f"{stem}:{number}", f"{path}:{number}")
    except Exception as err:  # the parser's own message says where and why
        message = f"reading stopped after row {number}: {type(err).__name__}: {err}"
        yield Item(f"{stem}:{number + 1}", f"{path}:{number + 1}", problem=message)


def record_item(record: dict, fields: Fields, fallback_id: str, source: str) -> Item:
    record_id = record.get(fields.id)
    article_id = str(record_id) if record_id not in (None, "") else fallback_id
    text = record.get(fields.text)
    title = record.get(fields.title)
    title = title if isinstance(title, str) and title.strip() else None
    if text is None:
        return Item(article_id, source, problem=f"no {fields.text!r} field (use --text-field)")
    if not isinstance(text, str):
        return Item(article_id, source, problem=f"{fields.text!r} is a {type(text).__name__}, not text")
    if "\ufffd" in text:
        return Item(article_id, source, problem="undecodable bytes in the text (U+FFFD): not UTF-8?")
    return Item(article_id, source, text=text, title=title)


def count_lines(path: str) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def clean(item: Item, strict_lang: bool) -> Article | Failed:
    from itnews.ingest import make_article, read_article

    try:
        if item.problem is not None:
            raise InputError(item.source, item.problem)
        if item.path is not None:
            article = read_article(item.path, strict_lang=strict_lang)
            article.id = item.id
            return article
        return make_article(item.id, item.text, title=item.title, source=item.source, strict_lang=strict_lang)
    except InputError as err:
        return Failed(item.id, str(err))
    except Exception as err:  # a bug on one record must not stop the run
        return Failed(item.id, f"{item.source}: internal error: {type(err).__name__}: {err}")


# --- the reader thread ----------------------------------------------------------------------


class Reader(threading.Thread):
    """Reads the source, skips ids already done, cleans the rest and hands over batches: each
    window of WINDOW_BATCHES batches is sorted by length so that a batch pads little. The queue
    holds at most a window's batches, which bounds the memory the reader can run ahead with."""

    def __init__(
        self,
        source: Source,
        done: set[str],
        stop: threading.Event,
        *,
        strict_lang: bool,
        limit: int | None,
        batch_size: int,
    ):
        super().__init__(name="itnews-batch-reader", daemon=True)
        self.source, self.done, self.stop = source, done, stop
        self.strict_lang, self.limit, self.batch_size = strict_lang, limit, batch_size
        self.batches: queue.Queue = queue.Queue(maxsize=WINDOW_BATCHES)
        self.skipped = 0  # written by this thread only; read by the main one for display and at the end
        self.finished = False  # set by the main thread once it has taken the last batch

    def run(self) -> None:
        try:
            window: list[Article | Failed] = []
            for item in self.fresh_items():
                window.append(clean(item, self.strict_lang))
                if len(window) == WINDOW_BATCHES * self.batch_size:
                    self.hand_over(window)
                    window = []
            self.hand_over(window)
            self.put(None)
        except Exception as err:  # reading failed outside any one record: end the run, saying why
            self.put(InputError(self.source.path, f"reading stopped: {type(err).__name__}: {err}"))

    def fresh_items(self) -> Iterator[Item]:
        seen: set[str] = set()
        for number, item in enumerate(self.source.items(), 1):
            if self.stop.is_set():
                return
            if item.id in seen:  # its own place as id: one record per id in the output, always
                problem = f"duplicate id {item.id!r} (an earlier record has it); ids must be unique"
                item = Item(item.source, item.source, problem=problem)
            seen.add(item.id)
            if item.id in self.done:
                self.skipped += 1
            else:
                yield item
            if number == self.limit:
                return

    def hand_over(self, window: list[Article | Failed]) -> None:
        window.sort(key=lambda entry: len(entry.text) if isinstance(entry, Article) else 0)
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

    def taken(self) -> Iterator[list[Article | Failed]]:
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


# --- sinks ----------------------------------------------------------------------------------


def output_record(result: Result) -> dict:
    record = result.to_dict()
    return {key: record[key] for key in OUTPUT_FIELDS}


def rows_to_keep(statuses: Iterable[tuple[str, str] | None]) -> set[int]:
    """The rows of the final output, given each row's (id, status) or None for an unreadable one:
    per id, its ok record if it has one (the latest), else its latest error."""
    keep: dict[str, tuple[int, bool]] = {}
    for row, entry in enumerate(statuses):
        if entry is None:
            continue
        record_id, status = entry
        ok = status == "ok"
        kept = keep.get(record_id)
        if kept is None or ok or not kept[1]:
            keep[record_id] = (row, ok)
    return {row for row, _ in keep.values()}


def fsync_folder(folder: Path) -> None:
    """Makes a rename in ``folder`` durable: the new name is a change to the folder itself."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class JsonlSink:
    """One JSON line per result, appended and fsynced batch by batch. Reopening it reads what a
    previous run left: its ids, and a torn last line (a kill mid-write), which is cut off."""

    def __init__(self, path: Path):
        self.path = path
        self.done: set[str] = set()  # ids with an ok record: skipped by the run
        self.written: set[str] = set()  # ids with any record: a new record for one supersedes it
        self.needs_compaction = False
        self.file = None
        if path.exists():
            self.scan()

    def scan(self) -> None:
        end_of_good_lines = 0
        with self.path.open("rb") as file:
            for line in file:
                if not line.endswith(b"\n"):  # only the last line can be torn: a kill mid-append
                    break
                end_of_good_lines += len(line)
                entry = parse_output_line(line, self.path)
                if entry is None:  # damaged (not a kill: a crash of the machine): dropped by compaction
                    self.needs_compaction = True
                    continue
                record_id, status = entry
                self.needs_compaction |= record_id in self.written
                self.written.add(record_id)
                if status == "ok":
                    self.done.add(record_id)
        if end_of_good_lines < self.path.stat().st_size:
            os.truncate(self.path, end_of_good_lines)

    def write(self, results: list[Result]) -> None:
        if self.file is None:
            self.file = self.path.open("ab")
        lines = (json.dumps(output_record(result), ensure_ascii=False) + "\n" for result in results)
        self.file.write("".join(lines).encode("utf-8"))
        self.file.flush()
        os.fsync(self.file.fileno())
        for result in results:
            self.needs_compaction |= result.id in self.written
            self.written.add(result.id)

    def close(self, finalise: bool = True) -> None:
        if self.file is not None:
            self.file.close()
        if not finalise:
            return
        if not self.path.exists():
            self.path.touch()  # an input with nothing in it still gets its (empty) output
        if self.needs_compaction:
            self.compact()

    def compact(self) -> None:
        """Rewrites the file with one record per id, in two streaming passes (ids, then lines);
        the new file replaces the old one atomically, so a kill here loses nothing either."""
        with self.path.open("rb") as file:
            keep = rows_to_keep(parse_output_line(line, self.path) for line in file)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with self.path.open("rb") as source, temporary.open("wb") as target:
            target.writelines(line for row, line in enumerate(source) if row in keep)
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, self.path)
        fsync_folder(self.path.parent)
        self.needs_compaction = False


def parse_output_line(line: bytes, path: Path) -> tuple[str, str] | None:
    """(id, status) of an output line; None when it is not valid JSON (damage, to be dropped).
    Valid JSON that is no batch record means OUT is some other file: refuse to touch it."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or "status" not in record:
        raise InputError(str(path), "exists and is not an `itnews batch` output; choose another --out")
    return record["id"], record["status"]


def parquet_schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("status", pa.string()),
            ("summary_it", pa.string()),
            ("summary_en", pa.string()),
            ("error", pa.string()),
            # JSON text: their keys vary with the models and stages run, and `datasets` reads no maps.
            ("model", pa.string()),
            ("warnings", pa.list_(pa.string())),
            ("timings", pa.string()),
        ]
    )


class ParquetSink:
    """Each batch becomes a part file in ``OUT.parts/``: written under a temporary name, fsynced,
    then renamed, so a part is whole or absent. `close` merges OUT (from earlier runs) and the
    parts into a new OUT, which replaces the old one atomically, then removes the parts; a kill
    before the removal leaves duplicates that the next run's merge drops."""

    def __init__(self, path: Path):
        self.path = path
        self.parts = path.with_name(path.name + ".parts")
        self.done: set[str] = set()
        self.next_part = 0
        for file in self.files():
            for record_id, status in self.statuses(file):
                if status == "ok":
                    self.done.add(record_id)
        if parts := self.part_files():
            self.next_part = int(parts[-1].stem.removeprefix("part-")) + 1

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet")) if self.parts.is_dir() else []

    def files(self) -> list[Path]:
        """OUT, then the parts in the order written: later records supersede earlier ones."""
        return ([self.path] if self.path.exists() else []) + self.part_files()

    def statuses(self, file: Path) -> Iterator[tuple[str, str]]:
        import pyarrow.parquet as pq

        try:
            batches = pq.ParquetFile(file).iter_batches(columns=["id", "status"])
            for batch in batches:
                yield from zip(
                    batch.column("id").to_pylist(), batch.column("status").to_pylist(), strict=True
                )
        except Exception as err:  # not Parquet, or not our columns: some other file
            raise InputError(
                str(file), f"cannot be read as an `itnews batch` output ({err}); choose another --out"
            ) from None

    def write(self, results: list[Result]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = []
        for result in results:
            row = output_record(result)
            row["model"], row["timings"] = json.dumps(row["model"]), json.dumps(row["timings"])
            rows.append(row)
        self.parts.mkdir(exist_ok=True)
        part = self.parts / f"part-{self.next_part:08d}.parquet"
        temporary = part.with_name(part.name + ".tmp")
        with temporary.open("wb") as file:
            pq.write_table(pa.Table.from_pylist(rows, schema=parquet_schema()), file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, part)
        fsync_folder(self.parts)
        self.next_part += 1

    def close(self, finalise: bool = True) -> None:
        if finalise and (self.part_files() or not self.path.exists()):
            self.assemble()

    def assemble(self) -> None:
        """Two streaming passes over OUT and the parts: which rows to keep, then copy them."""
        import shutil

        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files()
        keep = rows_to_keep(entry for file in files for entry in self.statuses(file))
        temporary = self.path.with_name(self.path.name + ".tmp")
        row = 0
        with temporary.open("wb") as target, pq.ParquetWriter(target, parquet_schema()) as writer:
            for file in files:
                for batch in pq.ParquetFile(file).iter_batches():
                    mask = pa.array([row + i in keep for i in range(batch.num_rows)])
                    writer.write_batch(batch.filter(mask))
                    row += batch.num_rows
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, self.path)
        fsync_folder(self.path.parent)
        shutil.rmtree(self.parts, ignore_errors=True)


def open_sink(out: str, source: Source | None = None) -> JsonlSink | ParquetSink:
    """The output by its extension, with what earlier runs left in it read (ValueError if unusable)."""
    path = Path(out)
    if source is not None and path.exists() and path.resolve() == Path(source.path).resolve():
        raise ValueError("the output would overwrite the input: choose another --out")
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".parquet"):
        raise ValueError(f"the output must end in .jsonl or .parquet, not {suffix or 'no extension'!r}")
    if not path.parent.is_dir():
        raise ValueError(f"no such folder for the output: {path.parent}")
    return JsonlSink(path) if suffix == ".jsonl" else ParquetSink(path)


# --- the run --------------------------------------------------------------------------------


@dataclass
class BatchSummary:
    output: str
    ok: int = 0
    error: int = 0
    skipped: int = 0  # ids already ok in the output, from an earlier run
    wall_s: float = 0.0  # from the first record read (models are loaded by then)
    peak_rss_mb: float = 0.0
    interrupted: bool = False

    @property
    def rate(self) -> float:
        return (self.ok + self.error) / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        return (
            f"batch: {self.ok} ok, {self.error} error, {self.skipped} skipped (already ok) in "
            f"{self.wall_s:.1f} s, {self.rate:.1f} articles/s, peak memory {self.peak_rss_mb:.0f} MB"
            f" -> {self.output}"
        )


def peak_rss_mb() -> float:
    """This process's peak resident memory (the kernel keeps the maximum)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def summarise_batch(summariser, batch: list[Article | Failed]) -> list[Result]:
    """A result per entry, in batch order; input failures become error results unseen by the model."""
    articles = [entry for entry in batch if isinstance(entry, Article)]
    try:
        summarised = iter(summariser.summarise(articles) if articles else [])
    except Exception as err:  # Summariser isolates failures per article but re-raises a lone one's
        summarised = iter(
            Result(id=a.id, status="error", error=f"{type(err).__name__}: {err}") for a in articles
        )
    results = []
    for entry in batch:
        if isinstance(entry, Failed):
            results.append(Result(id=entry.id, status="error", error=entry.error))
            continue
        result = next(summarised)
        if result.status == "error":
            result.error = f"{entry.source}: {result.error}"
        results.append(result)
    return results


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


class Display:
    """A progress bar with articles/s and ETA on a terminal, nothing otherwise; the first
    MAX_REPORTED_ERRORS errors are printed either way."""

    def __init__(self, show: bool, total: int | None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} articles/s  ETA {task.fields[eta]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not show,
        )
        self.task = self.progress.add_task("batch", total=total, rate="-", eta="-")
        self.total = total
        self.reported = 0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc_info):
        self.progress.stop()

    def update(self, summary: BatchSummary, skipped: int, elapsed: float, results: list[Result]) -> None:
        for result in results:
            if result.status == "error" and self.reported < MAX_REPORTED_ERRORS:
                self.reported += 1
                more = ' (more errors: status "error" in the output)' * (self.reported == MAX_REPORTED_ERRORS)
                print(f"error: {result.error}{more}", file=sys.stderr, flush=True)
        processed = summary.ok + summary.error
        rate = processed / elapsed if elapsed else 0.0
        completed = processed + skipped
        eta = "-"
        if self.total is not None and rate:
            eta = time.strftime("%H:%M:%S", time.gmtime(max(self.total - completed, 0) / rate))
        self.progress.update(self.task, completed=completed, rate=f"{rate:.1f}", eta=eta)


def run_batch(
    source: Source,
    sink: JsonlSink | ParquetSink,
    summariser,
    *,
    strict_lang: bool = False,
    limit: int | None = None,
    batch_size: int = 32,
    show_progress: bool = False,
) -> BatchSummary:
    """Summarise every record of ``source`` not already ok in ``sink``, batch by batch. Output
    order is batch order (length-sorted windows), not input order."""
    summary = BatchSummary(output=str(sink.path))
    stop = threading.Event()
    reader = Reader(source, sink.done, stop, strict_lang=strict_lang, limit=limit, batch_size=batch_size)
    total = source.count() if show_progress else None
    if total is not None and limit is not None:
        total = min(total, limit)
    started = time.perf_counter()
    finished_cleanly = False
    try:
        with Display(show_progress, total) as display, stop_on_sigint(stop):
            reader.start()
            for batch in reader.taken():
                results = summarise_batch(summariser, batch)
                sink.write(results)
                ok = sum(result.status == "ok" for result in results)
                summary.ok, summary.error = summary.ok + ok, summary.error + len(results) - ok
                display.update(summary, reader.skipped, time.perf_counter() - started, results)
                if stop.is_set():
                    break
        finished_cleanly = True
    finally:
        stop.set()  # the reader, if still going, stops at its next record
        sink.close(finalise=finished_cleanly)
    reader.join(timeout=5)
    summary.skipped = reader.skipped
    summary.interrupted = not reader.finished
    summary.wall_s = time.perf_counter() - started
    summary.peak_rss_mb = peak_rss_mb()
    return summary
