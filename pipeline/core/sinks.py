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
from collections.abc import Iterable, Iterator
from pathlib import Path

from itnews.core.record import BATCH, InputError, Record, json_line, output, parquet_row, parquet_schema

RECORD_START = b'{"id": '  # every line a JSONL sink writes starts so (the id is the first field)


def open_sink(out: str, input_path: str | None = None) -> JsonlSink | ParquetSink:
    """The output by its extension, with what earlier runs left in it read. ValueError for a usage
    error (the name), InputError for a file that is there and cannot be ours."""
    path = Path(out)
    if input_path is not None and path.exists() and path.resolve() == Path(input_path).resolve():
        raise ValueError("the output would overwrite the input: choose another --out")
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".parquet"):
        raise ValueError(f"the output must end in .jsonl or .parquet, not {suffix or 'no extension'!r}")
    if not path.parent.is_dir():
        raise ValueError(f"no such folder for the output: {path.parent}")
    if path.exists() and not path.is_file():
        raise InputError(out, "exists and is not a regular file (a folder?); choose another --out")
    return JsonlSink(path) if suffix == ".jsonl" else ParquetSink(path)


def not_ours(path: Path) -> InputError:
    return InputError(str(path), "exists and is not an `itnews batch` output; choose another --out")


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


@contextlib.contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """A temporary file that replaces ``path`` when the block succeeds, fsynced first. If the block
    fails (a full disk), the temporary file is removed and ``path`` is left as it was."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_folder(path.parent)


class JsonlSink:
    """One JSON line per record, appended and fsynced batch by batch. Reopening it reads what a
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
                if not line.startswith(RECORD_START):  # not a line this sink wrote, even torn
                    raise not_ours(self.path)
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
        with (
            replaced_atomically(self.path) as temporary,
            self.path.open("rb") as source,
            temporary.open("wb") as target,
        ):
            target.writelines(line for row, line in enumerate(source) if row in keep)
        self.needs_compaction = False


def parse_output_line(line: bytes, path: Path) -> tuple[str, str] | None:
    """(id, status) of an output line; None when it is not valid JSON (damage, to be dropped).
    Valid JSON that is no batch record means OUT is some other file: refuse to touch it."""
    import json

    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or "status" not in record:
        raise not_ours(path)
    return record["id"], record["status"]


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

    def write(self, records: list[Record]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.parts.mkdir(exist_ok=True)
        part = self.parts / f"part-{self.next_part:08d}.parquet"
        table = pa.Table.from_pylist([parquet_row(record) for record in records], schema=parquet_schema())
        with replaced_atomically(part) as temporary:
            pq.write_table(table, temporary)
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
        row = 0
        with (
            replaced_atomically(self.path) as temporary,
            pq.ParquetWriter(temporary, parquet_schema()) as writer,
        ):
            for file in files:
                for batch in pq.ParquetFile(file).iter_batches():
                    mask = pa.array([row + i in keep for i in range(batch.num_rows)])
                    writer.write_batch(batch.filter(mask))
                    row += batch.num_rows
        shutil.rmtree(self.parts, ignore_errors=True)
