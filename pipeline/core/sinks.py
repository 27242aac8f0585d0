"""Sinks: write records to one JSONL or Parquet file, durably, resumably, never over a foreign file.

Each sink keeps every finished batch through a kill at any instant and resumes from what is
there: ids already ``ok`` (``done``) are skipped by the run, failed ones retried. A JSONL output is
appended and fsynced per batch. A Parquet file cannot be appended to, so each batch becomes a part
file in ``OUT.parts/``, renamed into place whole; the end of the run merges OUT and the parts into
a new OUT. Either way the end of the run leaves one record per id (ok if any run got one, else the
latest error), replacing the file atomically. An existing OUT that is not an earlier run's output
is refused, never rewritten.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from itnews.core.outputs import Claim, claim, not_ours, own_jsonl_lines, replacing
from itnews.core.record import (
    BATCH,
    InputError,
    Record,
    json_line,
    output,
    parquet_row,
    parquet_schema,
    view_fields,
)

BATCH_KEYS = view_fields(BATCH)  # an output line has exactly these keys, in this order
WHAT = "an `itnews batch` output"
PART = re.compile(r"part-(\d{8})\.parquet")  # a part file, and (below) a kill's leftover while writing one
PART_TEMPORARY = re.compile(r"\.part-\d{8}\.parquet\..+\.tmp")


def open_sink(out: str, input_path: str | None = None) -> JsonlSink | ParquetSink:
    """The output by its extension, locked for the run (`itnews.core.outputs`), with what earlier
    runs left in it read. ValueError for a usage error (the name), InputError for a file that is
    there and cannot be ours, or that another run holds."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".parquet"):
        raise ValueError(f"the output must end in .jsonl or .parquet, not {suffix or 'no extension'!r}")
    if not path.parent.is_dir():
        raise ValueError(f"no such folder for the output: {path.parent}")
    inputs = [input_path] if input_path is not None else []
    held = claim(path, inputs=inputs, option="--out", own=None, what=WHAT)  # the sink recognises its own
    try:
        return JsonlSink(path, held) if suffix == ".jsonl" else ParquetSink(path, held)
    except BaseException:
        held.release()
        raise


def rows_to_keep(statuses: Iterable[tuple[str, str]]) -> set[int]:
    """The rows of the final output, given each row's (id, status): per id, its ok record if it
    has one (the latest), else its latest error."""
    keep: dict[str, tuple[int, bool]] = {}
    for row, (record_id, status) in enumerate(statuses):
        ok = status == "ok"
        kept = keep.get(record_id)
        if kept is None or ok or not kept[1]:
            keep[record_id] = (row, ok)
    return {row for row, _ in keep.values()}


class JsonlSink:
    """One JSON line per record, appended and fsynced batch by batch. Reopening it reads what a
    previous run left: its ids, and a torn last line (a kill mid-write), which is cut off once
    every complete line has proved the file to be an output."""

    def __init__(self, path: Path, held: Claim | None = None):
        self.path, self.held = path, held
        self.done: set[str] = set()  # ids with an ok record: skipped by the run
        self.written: set[str] = set()  # ids with any record: a new record for one supersedes it
        self.needs_compaction = False
        self.file = None
        if path.exists():
            self.scan()

    def scan(self) -> None:
        end_of_good_lines = 0
        try:
            for end, record in own_jsonl_lines(self.path, BATCH_KEYS, torn_tail=True):
                end_of_good_lines, record_id = end, record["id"]
                self.needs_compaction |= record_id in self.written
                self.written.add(record_id)
                if record["status"] == "ok":
                    self.done.add(record_id)
        except ValueError:
            raise not_ours(self.path, WHAT, "--out") from None
        if end_of_good_lines < self.path.stat().st_size:
            os.truncate(self.path, end_of_good_lines)

    def write(self, records: list[Record]) -> None:
        if self.file is None:
            self.file = self.path.open("ab")
        self.file.write(b"".join(json_line(output(record, BATCH)) for record in records))
        self.file.flush()
        os.fsync(self.file.fileno())
        for record in records:
            self.needs_compaction |= record.id in self.written
            self.written.add(record.id)

    def close(self, finalise: bool = True) -> None:
        try:
            if self.file is not None:
                self.file.close()
            if not finalise:
                return
            if not self.path.exists():
                self.path.touch()  # an input with nothing in it still gets its (empty) output
            if self.needs_compaction:
                self.compact()
        finally:
            if self.held is not None:
                self.held.release()

    def compact(self) -> None:
        """Rewrites the file with one record per id, in two streaming passes (ids, then lines);
        the new file replaces the old one atomically, so a kill here loses nothing either."""
        with self.path.open("rb") as file:
            keep = rows_to_keep(status_of(line) for line in file)
        with replacing(self.path) as target, self.path.open("rb") as source:
            target.writelines(line for row, line in enumerate(source) if row in keep)
        self.needs_compaction = False


def status_of(line: bytes) -> tuple[str, str]:
    """(id, status) of a line the scan has read as an output line, or this run has written."""
    import json

    record = json.loads(line)
    return record["id"], record["status"]


class ParquetSink:
    """Each batch becomes a part file in ``OUT.parts/``: written under a temporary name, fsynced,
    then renamed, so a part is whole or absent. `close` merges OUT (from earlier runs) and the
    parts into a new OUT, which replaces the old one atomically, then removes the parts; a kill
    before the removal leaves duplicates that the next run's merge drops. ``OUT.parts`` is this
    sink's alone: one that is a link or holds anything but its part files is refused."""

    def __init__(self, path: Path, held: Claim | None = None):
        self.path, self.held = path, held
        self.parts = path.with_name(path.name + ".parts")
        self.done: set[str] = set()
        self.next_part = 0
        self.check_parts()
        for file in self.files():
            for record_id, status in self.statuses(file):
                if status == "ok":
                    self.done.add(record_id)
        if parts := self.part_files():
            self.next_part = int(PART.fullmatch(parts[-1].name).group(1)) + 1

    def check_parts(self) -> None:
        if not (self.parts.is_symlink() or self.parts.exists()):
            return
        if self.parts.is_symlink() or not self.parts.is_dir():
            reason = "is a link or a file, not this output's folder of parts; move it"
            raise InputError(str(self.parts), reason)
        for entry in self.parts.iterdir():
            ours = PART.fullmatch(entry.name) or PART_TEMPORARY.fullmatch(entry.name)
            if not ours or entry.is_symlink() or not entry.is_file():
                raise InputError(
                    str(self.parts), f"holds {entry.name!r}, not a part file of this output; move it"
                )

    def part_files(self) -> list[Path]:
        if not self.parts.is_dir():
            return []
        return sorted(entry for entry in self.parts.iterdir() if PART.fullmatch(entry.name))

    def files(self) -> list[Path]:
        """OUT, then the parts in the order written: later records supersede earlier ones."""
        return ([self.path] if self.path.exists() else []) + self.part_files()

    def statuses(self, file: Path) -> Iterator[tuple[str, str]]:
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(file)
            if parquet.schema_arrow.names != list(BATCH_KEYS):
                raise ValueError("other columns")
            for batch in parquet.iter_batches(columns=["id", "status"]):
                yield from zip(
                    batch.column("id").to_pylist(), batch.column("status").to_pylist(), strict=True
                )
        except Exception as err:  # not Parquet, or not our columns: some other file
            raise InputError(str(file), f"cannot be read as {WHAT} ({err}); choose another --out") from None

    def write(self, records: list[Record]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.parts.mkdir(exist_ok=True)
        part = self.parts / f"part-{self.next_part:08d}.parquet"
        table = pa.Table.from_pylist([parquet_row(record) for record in records], schema=parquet_schema())
        with replacing(part) as temporary:
            pq.write_table(table, temporary)
        self.next_part += 1

    def close(self, finalise: bool = True) -> None:
        try:
            if finalise and (self.part_files() or not self.path.exists()):
                self.assemble()
        finally:
            if self.held is not None:
                self.held.release()

    def assemble(self) -> None:
        """Two streaming passes over OUT and the parts: which rows to keep, then copy them. Then
        the part files go (and any a killed run left half-written), and the folder if empty."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files()
        keep = rows_to_keep(entry for file in files for entry in self.statuses(file))
        row = 0
        with replacing(self.path) as temporary, pq.ParquetWriter(temporary, parquet_schema()) as writer:
            for file in files:
                for batch in pq.ParquetFile(file).iter_batches():
                    mask = pa.array([row + i in keep for i in range(batch.num_rows)])
                    writer.write_batch(batch.filter(mask))
                    row += batch.num_rows
        if self.parts.is_dir():
            for entry in self.parts.iterdir():
                if PART.fullmatch(entry.name) or PART_TEMPORARY.fullmatch(entry.name):
                    entry.unlink()
            with contextlib.suppress(OSError):  # something else appeared there: not ours to remove
                self.parts.rmdir()
