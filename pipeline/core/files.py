"""Input files: which files in a folder are articles, and opening one without blocking or following
a device. Every reader (article files, JSONL, CSV) opens its file through `open_regular_file`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from itnews.core.record import InputError

# A file named on the command line is read whatever its suffix (as HTML if it looks like a page);
# in a folder, only these are articles: a README.md or notes.md beside the articles is not one.
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
ARTICLE_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES


def check_regular_file(file: Path, item: str) -> None:
    """Refuses anything but a regular file before it is opened: a FIFO would block for ever,
    /dev/zero never ends, a directory is not an article."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise InputError(item, "no such file") from None
    except OSError as err:
        raise InputError(item, f"cannot read: {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(item, "is a directory, expected a file (use `itnews batch DIR` for folders)")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(item, "not a regular file (a pipe, device or socket); give a file or - for stdin")


def open_regular_file(file: Path, item: str):
    """A regular file opened for reading in binary. O_NONBLOCK: were the path swapped for a FIFO
    after the check, opening it still returns instead of waiting for a writer."""
    check_regular_file(file, item)
    try:
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        return os.fdopen(descriptor, "rb")
    except OSError as err:
        raise InputError(item, f"cannot read: {err.strerror or err}") from None
