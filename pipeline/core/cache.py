"""Tables that cost more to build than to read, kept between runs in ``$HF_HOME/itnews/``.

A one-article `itnews summarise` spent most of its second decompressing the language identifier's
model and building the guard's word lists (eval/STARTUP.md): work whose result depends only on the
installed libraries. Each table lives in a folder named by what it was built from (library
versions, file sizes), beside the models the Hugging Face cache holds, and is written into a fresh
folder that is then renamed, so a reader never sees half of one. A cache that cannot be written
(a read-only or full disk) only means the next run builds the table again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_folder(name: str, key: str) -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HOME) / "itnews" / name / key


def write_folder(folder: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(scratch)`` to fill a fresh folder, then put it at ``folder`` in one rename; a
    damaged folder there (its reader said so) is replaced. Errors of the disk are not raised."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
    except OSError:
        return
    try:
        write(scratch)
        if folder.is_dir():  # only this module writes there, and only a damaged folder is rewritten
            shutil.rmtree(folder)
        os.replace(scratch, folder)
    except OSError:
        pass  # a full disk, or another run that got there first
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cached_json(name: str, key: str, build: Callable[[], object]) -> object:
    """The table ``build()`` returns, read from the cache when an earlier run kept it."""
    folder = cache_folder(name, key)
    try:
        return json.loads((folder / "table.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not kept yet, or damaged
        pass
    table = build()

    def write(scratch: Path) -> None:
        (scratch / "table.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")

    write_folder(folder, write)
    return table
