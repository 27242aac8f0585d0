"""Outputs: the one rule every file a command writes follows, whichever command writes it.

- **Claim** the target (`claim`): an exclusive lock beside it (``.NAME.lock``, `fcntl.flock`) held
  for the whole run, so that a second run on the same file stops at once instead of interleaving
  with the first; then refuse a target that is an input of the run, a link, not a regular file, or
  an existing file that is not this command's own earlier output (each kind of output says how it
  recognises its own: `own_jsonl`, `starts_with`). An empty file holds nothing to lose.
- **Replace** it whole (`replacing`): the new content goes to a temporary file created exclusively in
  the target's folder (`tempfile.mkstemp`: a name no one chose, never a link followed), fsynced,
  then `os.replace`d over the target; a failure (a full disk) removes that temporary file and
  nothing else, and leaves the previous file whole.

The lock file is left in place: removing it would let a run that opened it before the removal and
a run that creates a new one both hold "the" lock; a lock file no process holds locks nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from itnews.core.record import InputError
from itnews.core.sources import MAX_LINE_BYTES

Own = Callable[[Path], bool]  # does this existing file look like the command's own earlier output?


class Claim:
    """A target held by this run: its lock is released by `release` (or by the process's end)."""

    def __init__(self, path: Path, descriptor: int):
        self.path, self.descriptor = path, descriptor

    def write(self, data: bytes) -> None:
        """The target's new content, replacing it whole; the claim ends with it."""
        try:
            with replacing(self.path) as file:
                file.write(data)
        finally:
            self.release()

    def release(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)  # closing the descriptor releases the flock
            self.descriptor = -1


def lock_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def claim(path: Path, *, inputs: Iterable[str] = (), option: str, own: Own | None, what: str) -> Claim:
    """Lock ``path`` for this run, then check it may be written (see the module's rule); ``inputs``
    are the files the run reads, and those it writes under other options. ``own``
    None: the caller recognises its own file while reading it (a resumable sink), after the lock.
    Raises InputError: one line naming the file and why it is refused."""
    check_not_input(path, inputs, option)
    if not path.parent.is_dir():
        raise InputError(str(path), f"no such folder for the output; choose another {option}")
    lock = lock_name(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:  # O_NOFOLLOW: a link planted under the lock's name is refused, never followed
        descriptor = os.open(lock, flags, 0o644)
    except OSError as err:
        raise InputError(str(lock), f"cannot open the lock file: {err.strerror or err}") from None
    held = Claim(path, descriptor)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputError(str(lock), "the lock file is not a regular file; remove it")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(str(path), f"is being written by another run (lock {lock})") from None
        check_target(path, option, own, what)
    except BaseException:
        held.release()
        raise
    return held


def check_not_input(path: Path, inputs: Iterable[str], option: str) -> None:
    """``inputs``: the files the run reads, and those it writes under other options."""
    for item in inputs:
        same = os.path.realpath(path) == os.path.realpath(item)
        with contextlib.suppress(OSError):  # a hard link to the input is the input too
            same = same or os.path.samefile(path, item)
        if same:
            raise InputError(str(path), f"is an input or another output of this run; choose another {option}")


def check_target(path: Path, option: str, own: Own | None, what: str) -> None:
    if path.is_symlink():
        raise InputError(str(path), f"is a link; choose another {option} (links are not written through)")
    if not path.exists():
        return
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise InputError(str(path), f"exists and is not a regular file (a folder?); choose another {option}")
    if info.st_size and own is not None and not own(path):
        raise not_ours(path, what, option)


def not_ours(path: Path, what: str, option: str) -> InputError:
    return InputError(str(path), f"exists and is not {what}; choose another {option}")


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A new, exclusive temporary file beside ``path`` that replaces it when the block succeeds,
    fsynced first; on failure only that temporary file is removed."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        os.fchmod(descriptor, file_mode(path))  # mkstemp's 0600 would hide the output from others
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def file_mode(path: Path) -> int:
    """The mode the replaced file had, else what a plain `open` would give under the umask."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_folder(folder: Path) -> None:
    """Makes a rename in ``folder`` durable: the new name is a change to the folder itself."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def starts_with(marker: bytes) -> Own:
    """A file recognised by how the command begins every one it writes."""

    def own(path: Path) -> bool:
        with path.open("rb") as file:
            return file.read(len(marker)) == marker

    return own


def own_jsonl_lines(path: Path, keys: Iterable[str], torn_tail: bool) -> Iterator[tuple[int, dict]]:
    """(end offset, object) per line of a JSONL output, read only while every complete line is a
    JSON object with exactly ``keys``: anything else means the file is someone else's, and
    ValueError says so before the caller has changed anything. ``torn_tail``: a last line without
    its newline (a kill mid-append) that begins as the outputs' lines do ends the reading, to be
    cut by the caller; it is never the only line, since a file of one unfinished line is no output."""
    keys = list(keys)
    start = b'{"' + keys[0].encode() + b'": '
    end = 0
    with path.open("rb") as file:
        while line := file.readline(MAX_LINE_BYTES + 1):
            if not line.endswith(b"\n"):
                if torn_tail and end > 0 and len(line) <= MAX_LINE_BYTES and line.startswith(start):
                    return
                raise ValueError(f"{path}: an unfinished or overlong line at byte {end}")
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                value = None
            if not isinstance(value, dict) or list(value) != keys:
                raise ValueError(f"{path}: byte {end} is not an output line")
            end += len(line)
            yield end, value


def own_jsonl(keys: Iterable[str]) -> Own:
    """A JSONL output written whole (never appended to): every line one of its objects."""
    keys = list(keys)

    def own(path: Path) -> bool:
        try:
            for _ in own_jsonl_lines(path, keys, torn_tail=False):
                pass
        except ValueError:
            return False
        return True

    return own
