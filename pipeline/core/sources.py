"""Sources: where records come from, read lazily so that memory does not grow with the corpus.

- article files named on the command line, or ``-`` for stdin (`paths_source`);
- a folder of article files, sub-folders included (`Source` of kind ``directory``);
- a .jsonl, .csv or .parquet file, a `save_to_disk` folder or a hub dataset: one article per row;
- a corpus index (`index_source`): JSONL lines ``{"id", "title", "path", "topic"}``.

A row that cannot be used (a malformed line, no text field) is an error record saying where it is
(``file:row``) and why; reading goes on. A file that stops parsing part-way ends with one error
record saying where. Ids and texts are made valid Unicode here (`valid_text`), so that every sink
can write whatever an input carried.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itnews.core.files import ARTICLE_SUFFIXES, check_regular_file, open_regular_file
from itnews.core.parquet_pages import parquet_rows
from itnews.core.record import InputError, Record, valid_text

RECORD_SUFFIXES = {".jsonl", ".csv", ".parquet"}
RECORD_KINDS = {suffix.lstrip(".") for suffix in RECORD_SUFFIXES}
DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")  # written by save_to_disk
MAX_LINE_BYTES = 10 * 1024 * 1024  # as ingest's file limit: a longer line or cell is not one article
UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as Python's surrogateescape keeps them


@dataclass(frozen=True)
class Fields:
    """Which record fields hold the text, the id and the title."""

    text: str = "text"
    id: str = "id"
    title: str = "title"
    outlet: str | None = None  # `itnews digest`: who published the article, and when
    date: str | None = None


def digest_source(inputs: list[str], fields: Fields, follow_symlinks: bool = False) -> Iterator[Record]:
    """`itnews digest`'s inputs, one after the other: article files, and anything `open_source`
    opens. All are opened (and checked: InputError) here, before any is read."""
    import itertools

    opened = [
        [file_record(path)] if Path(path).is_file() and Path(path).suffix.lower() in ARTICLE_SUFFIXES
        else open_source(path, fields, follow_symlinks=follow_symlinks)
        for path in inputs
    ]  # fmt: skip
    return itertools.chain.from_iterable(opened)


def file_record(path: str, article_id: str | None = None) -> Record:
    """The record of an article file (or ``-``, stdin), to be read by the Clean step. Its id is the
    file's stem unless given. The path is kept as the OS gave it, to open the file; the id and the
    source, which outputs and messages carry, are made valid Unicode."""
    if path == "-":
        return Record(id="stdin", source="stdin", path="-")
    return Record(id=valid_text(article_id or Path(path).stem), source=valid_text(path), path=path)


def paths_source(paths: list[str]) -> Iterator[Record]:
    """One record per path (``-``: stdin), to be read by the Clean step."""
    for path in paths:
        yield file_record(path)


@dataclass
class Source:
    """An opened input. Opening checks it (the text column exists, the dataset loads) before any
    model is loaded; iterating reads it lazily."""

    path: str
    kind: str  # directory | jsonl | csv | parquet | dataset | hub
    fields: Fields
    split: str = "train"
    columns: list[str] | None = None  # the fields present, for tables whose columns are known
    dataset: Any = None  # the `datasets` dataset, for dataset and hub inputs
    follow_symlinks: bool = False  # a folder's links to files outside it are read, not refused

    @property
    def stem(self) -> str:
        """The prefix of row ids for records without an id: ``<stem>:<row>``."""
        return Path(self.path).stem if self.kind in RECORD_KINDS else Path(self.path).name

    def __iter__(self) -> Iterator[Record]:
        if self.kind == "directory":
            return directory_records(self.path, self.follow_symlinks)
        if self.kind == "jsonl":
            return jsonl_records(self.path, self.stem, self.fields)
        if self.kind == "csv":
            return table_records(self.path, self.stem, csv_rows(self.path), self.fields)
        return table_records(self.path, self.stem, self.rows(), self.fields)

    def rows(self) -> Iterable[dict]:
        if self.kind == "parquet":
            return parquet_rows(self.path, self.columns, MAX_LINE_BYTES)
        return self.dataset.select_columns(self.columns) if self.columns else self.dataset

    def count(self) -> int | None:
        """How many records, for the progress bar: exact, estimated from lines, or None if unknown."""
        if self.kind == "directory":
            return sum(1 for _ in directory_records(self.path, self.follow_symlinks))
        if self.kind in ("jsonl", "csv"):  # one record a line; a CSV cell may span lines (rare)
            return count_lines(self.path) - (self.kind == "csv")
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.path).metadata.num_rows
        if self.kind == "dataset":
            return len(self.dataset)
        splits = getattr(self.dataset.info, "splits", None) or {}
        return splits[self.split].num_examples if self.split in splits else None


def open_source(path: str, fields: Fields, split: str = "train", follow_symlinks: bool = False) -> Source:
    """The input at ``path``: a folder of articles, a record file, a `save_to_disk` folder, or else
    a dataset on the hub. Raises InputError when it cannot be used at all."""
    location = Path(path)
    if location.is_dir():
        if not any((location / marker).exists() for marker in DATASET_MARKERS):
            return Source(path, "directory", fields, follow_symlinks=follow_symlinks)
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
    if location.exists():
        raise InputError(path, "not a regular file or folder (a pipe or device?)")
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
    try:
        if kind == "csv":
            return next(csv_rows(str(location), header_only=True), [])
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.read_schema(location).names
    except Exception as err:  # a corrupt file: its reader's own words say what is wrong
        raise InputError(str(location), f"cannot be read as {kind.upper()}: {err}") from None
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
    wanted = (fields.id, fields.text, fields.title, fields.outlet, fields.date)
    return [name for name in dict.fromkeys(wanted) if name in columns]


def directory_records(root: str, follow_symlinks: bool = False) -> Iterator[Record]:
    """Article files, sorted, sub-folders included. The id is the path under ``root`` without the
    suffix: the file's stem, as `itnews summarise` names it, for files at the top. A link whose
    real path is outside ``root`` (``passwd.txt -> /etc/passwd``) is an error record unless
    ``follow_symlinks``: a folder given to summarise is not a licence to read the whole disk."""
    inside = os.path.realpath(root)
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            file = Path(folder, name)
            if file.suffix.lower() in ARTICLE_SUFFIXES:
                record = file_record(str(file), file.relative_to(root).with_suffix("").as_posix())
                if not follow_symlinks and os.path.commonpath([inside, os.path.realpath(file)]) != inside:
                    record.fail(record.source, outside_reason(file))
                yield record


def outside_reason(file: Path) -> str:
    """Why a link out of the folder is refused; a pipe or device is refused as such wherever it is."""
    try:
        check_regular_file(file, str(file))
    except InputError as err:
        return err.reason
    return f"a link to {valid_text(os.path.realpath(file))}, outside the folder; --follow-symlinks reads it"


def jsonl_records(path: str, stem: str, fields: Fields) -> Iterator[Record]:
    """One record per non-blank line. Read here line by line rather than by `datasets`: its JSON
    loader parses a whole block with pyarrow and fails the whole file on one malformed line, and a
    bad line must become one error record, with its line number, the rest of the file still read."""
    where, stem = valid_text(path), valid_text(stem)
    for number, line in jsonl_lines(path):
        fallback_id, source = f"{stem}:{number}", f"{where}:{number}"
        value = line if isinstance(line, dict) else None
        if value is None:
            yield Record(id=fallback_id, source=source).fail(source, line)
        else:
            yield row_record(value, fields, fallback_id, source)


def jsonl_lines(path: str) -> Iterator[tuple[int, dict | str]]:
    """(line number, JSON object) per non-blank line, or (line number, why it is not one). Every
    way a line can fail to parse (bad bytes, bad JSON, a number or nesting too large to build) is
    a reason, never an exception."""
    with open_regular_file(Path(path), path) as file:
        for number, line in enumerate(bounded_lines(file), 1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE_BYTES:
                yield number, f"line longer than {MAX_LINE_BYTES // 2**20} MB"
                continue
            try:
                value = json.loads(line.rstrip(b"\r\n").decode("utf-8-sig"))
            except UnicodeDecodeError as err:
                yield number, f"undecodable line, not UTF-8: {err.reason}"
                continue
            except json.JSONDecodeError as err:
                yield number, f"malformed JSON line: {err.msg} (column {err.colno})"
                continue
            except (ValueError, RecursionError) as err:  # 5,000-digit integers, deep nesting
                yield number, f"malformed JSON line: {type(err).__name__}: {str(err)[:120]}"
                continue
            yield (
                number,
                value if isinstance(value, dict) else f"not a JSON object but {type(value).__name__}",
            )


def read_jsonl(path: str) -> Iterator[tuple[str, dict]]:
    """``(item, object)`` per non-blank line, item being ``path:line``, for files that must be whole
    (references, predictions, corpus indexes): the first bad line raises InputError."""
    for number, line in jsonl_lines(path):
        if not isinstance(line, dict):
            raise InputError(f"{path}:{number}", line)
        yield f"{path}:{number}", line


def bounded_lines(file) -> Iterator[bytes]:
    """The lines of a binary file; one longer than MAX_LINE_BYTES comes as an oversize stub, not
    whole, so that one runaway line cannot take all the memory."""
    while line := file.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := file.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


def csv_rows(path: str, header_only: bool = False) -> Iterator:
    """A CSV's rows as dicts, cells as written (ids like "007" and "NA" stay text), or for a row
    that cannot be one, the reason (a string). Rows are told apart here (`csv_records`) and each is
    parsed by the csv module: a row over MAX_LINE_BYTES is skipped without being held and reading
    goes on after it, and a quote left open (it swallows the lines after it) ends the file with
    every row before it kept (`datasets` reads blocks of 10,000 rows and loses the fault's whole
    block). Undecodable bytes are kept apart (as lone surrogates) so that their row fails as a
    JSONL line of such bytes does, while a real U+FFFD in the text is cleaning's to count
    (`itnews.ingest.damage`)."""
    import io

    with io.TextIOWrapper(
        open_regular_file(Path(path), path), encoding="utf-8-sig", errors="surrogateescape", newline=""
    ) as file:
        header = None
        for line, text in csv_records(file):
            if text is None:
                if header is None:
                    raise ValueError(f"line {line}: a header over {MAX_LINE_BYTES // 2**20} MB")
                yield f"row longer than {MAX_LINE_BYTES // 2**20} MB (from line {line})"
                continue
            try:  # strict: a stray quote inside a cell is an error, not a guess
                row = next(csv.reader([text], strict=True), [])
            except csv.Error as err:
                if header is None:
                    raise ValueError(f"line {line}: {err}") from None
                yield f"malformed CSV row (from line {line}): {err}"
                continue
            if header is None:
                header = row
                if header_only:
                    yield header
                    return
                continue
            yield dict(zip(header, row, strict=False))


def csv_records(file) -> Iterator[tuple[int, str | None]]:
    """(first line, text) of each CSV row, read in bounded pieces; the text is None for a row over
    MAX_LINE_BYTES, which is read past, never held. A row ends at a line end outside quotes: with
    the csv module's quoting (a quote opens and closes a cell, an escaped one is doubled) that is a
    line end after an even number of quotes. An odd count at the end of the file is a quote left
    open: ValueError, saying where."""
    line, first = 0, 1
    pieces: list[str] = []
    size, quotes = 0, 0
    while piece := file.readline(MAX_LINE_BYTES + 1):
        quotes += piece.count('"')
        size += len(piece)
        if size <= MAX_LINE_BYTES:
            pieces.append(piece)
        else:
            pieces.clear()  # too long to be one article's row: read past it
        if not piece.endswith(("\n", "\r")):
            continue
        line += 1
        if quotes % 2:
            continue
        yield first, "".join(pieces) if size <= MAX_LINE_BYTES else None
        first, pieces, size, quotes = line + 1, [], 0, 0
    if quotes % 2:
        raise ValueError(f"line {first}: a quote opened here is never closed (a quote left open?)")
    if size:  # the last row, without a final line end
        yield first, "".join(pieces) if size <= MAX_LINE_BYTES else None


def table_records(path: str, stem: str, rows: Iterable[dict | str], fields: Fields) -> Iterator[Record]:
    """Records of a CSV, Parquet or dataset, rows counted from 1. A row the reader could not make
    (a cell over the size limit) comes as the reason, and is an error record. A file that stops
    parsing part-way (a CSV quote left open swallows the lines after it, so its rows cannot be told
    apart) ends with one error record saying where reading stopped."""
    number, where, stem = 0, valid_text(path), valid_text(stem)
    try:
        for number, row in enumerate(rows, 1):
            fallback_id, source = f"{stem}:{number}", f"{where}:{number}"
            if isinstance(row, str):
                yield Record(id=fallback_id, source=source).fail(source, row)
            else:
                yield row_record(row, fields, fallback_id, source)
    except Exception as err:  # the parser's own message says where and why
        source = f"{where}:{number + 1}"
        reason = f"reading stopped after row {number}: {type(err).__name__}: {err}"
        yield Record(id=f"{stem}:{number + 1}", source=source).fail(source, reason)


def row_record(row: dict, fields: Fields, fallback_id: str, source: str) -> Record:
    row_id = row.get(fields.id)
    record = Record(id=valid_text(str(row_id)) if row_id not in (None, "") else fallback_id, source=source)
    text, title = row.get(fields.text), row.get(fields.title)
    if text is None:
        return record.fail(source, f"no {fields.text!r} field (use --text-field)")
    if not isinstance(text, str):
        return record.fail(source, f"{fields.text!r} is a {type(text).__name__}, not text")
    if UNDECODED.search(text):
        return record.fail(source, "undecodable bytes in the text: not UTF-8")
    record.text = valid_text(text)
    record.title = valid_text(title) if isinstance(title, str) and title.strip() else None
    for name, attribute in ((fields.outlet, "outlet"), (fields.date, "published")):
        value = row.get(name) if name else None
        setattr(record, attribute, valid_text(str(value)) if value not in (None, "") else None)
    return record


def index_source(index_path: str) -> Iterator[Record]:
    """The articles a corpus index lists, with the index's ids (references are keyed by them);
    paths are relative to the index's folder. A bad index line is an InputError: a corpus with a
    wrong index is not one to score."""
    corpus_dir = Path(index_path).parent
    seen: set[str] = set()
    for item, line in read_jsonl(index_path):
        article_id, path = line.get("id"), line.get("path")
        if not (isinstance(article_id, str) and article_id and isinstance(path, str) and path):
            raise InputError(item, "an index line needs a non-empty 'id' and 'path'")
        if article_id in seen:
            raise InputError(item, f"duplicate id {article_id!r}")
        seen.add(article_id)
        yield file_record(str(corpus_dir / path), article_id)


def count_lines(path: str) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")
