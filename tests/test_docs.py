"""The docs' examples, run: every command of a ```bash or ```console block of docs/ and the README,
and every ```python block, runs offline in a temporary folder holding copies of corpus/ and
docs/examples/, with the exit status it shows, so the docs cannot drift from the command line.

What the Markdown may say (`NOT_RUN`, `EXIT`):

- ``<!-- not run: REASON -->`` on the line before a block: the block is not run (a model download,
  a network, a cluster, minutes of work). A reason is required.
- ``# not run: REASON`` as a command's comment: that command is not run.
- ``# exit N`` in a command's comment: the status the command ends with (otherwise 0).
- In a ```console block, commands start with ``$ ``; every line shown after one must be a line of
  what the command prints.

A page's blocks run in order in one folder (a command may read what an earlier one wrote), and its
python blocks in one namespace.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO

PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
SHELL_LANGS = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```\s*([\w-]*)\s*$")
NOT_RUN_MARK = re.compile(r"not run\b")
NOT_RUN = re.compile(r"not run:\s*(\S.*?)\s*(?:-->)?\s*$")
EXIT = re.compile(r"\bexit (\d+)\b")


@dataclass
class Command:
    text: str
    line: int  # in the page, 1-based
    comment: str = ""
    shown: list[str] = field(default_factory=list)  # a console block's output lines

    @property
    def skip_reason(self) -> str | None:
        found = NOT_RUN.search(self.comment)
        return found.group(1) if found else None

    @property
    def status(self) -> int:
        found = EXIT.search(self.comment)
        return int(found.group(1)) if found else 0


@dataclass
class Block:
    page: Path
    lang: str
    line: int  # of the opening fence
    body: list[str]
    marker: str  # the line before the fence

    @property
    def skip_reason(self) -> str | None:
        found = NOT_RUN.search(self.marker) if self.marker.startswith("<!--") else None
        return found.group(1) if found else None

    def commands(self) -> list[Command]:
        commands: list[Command] = []
        pending = ""
        for offset, raw in enumerate(self.body, start=self.line + 1):
            if self.lang == "console":
                if raw.startswith("$ "):
                    commands.append(split_comment(raw[2:], offset))
                elif commands and raw.strip():
                    commands[-1].shown.append(raw.strip())
                continue
            if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                continue
            if raw.endswith("\\"):
                pending += raw[:-1]
                continue
            commands.append(split_comment(pending + raw, offset))
            pending = ""
        return commands


def split_comment(line: str, number: int) -> Command:
    """The command and its trailing comment: the first `#` after a space, outside quotes."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and index > 0 and line[index - 1].isspace():
            return Command(line[:index].strip(), number, line[index + 1 :].strip())
    return Command(line.strip(), number)


def blocks(page: Path) -> list[Block]:
    found, lines = [], page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        before = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        found.append(Block(page, opening.group(1), index + 1, lines[index + 1 : end], before))
        index = end + 1
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


def test_every_block_not_run_says_why():
    """A block or command left out carries its reason, and every block is of a known kind."""
    for page in PAGES:
        for block in blocks(page):
            where = f"{page_id(page)}:{block.line}"
            known = SHELL_LANGS | {"python", "text", "toml", ""}
            assert block.lang in known, f"{where}: a {block.lang!r} block"
            if block.lang == "toml":  # a file to copy (a key file): it must at least parse
                tomllib.loads("\n".join(block.body))
            if block.marker.startswith("<!--") and NOT_RUN_MARK.search(block.marker):
                assert block.skip_reason, f"{where}: `not run` without a reason"
            if block.lang in SHELL_LANGS:
                for command in block.commands():
                    if NOT_RUN_MARK.search(command.comment):
                        assert command.skip_reason, f"{page_id(page)}:{command.line}: no reason"


def test_the_docs_run_most_of_their_examples():
    """The extraction finds the examples: most shell commands run, and every command page has some."""
    run = skipped = 0
    for page in PAGES:
        for block in blocks(page):
            if block.lang in SHELL_LANGS:
                for command in block.commands():
                    if block.skip_reason or command.skip_reason:
                        skipped += 1
                    else:
                        run += 1
    assert run > skipped, (run, skipped)
    for page in (REPO / "docs" / "commands").glob("*.md"):
        assert runnable(page), f"{page_id(page)} has no example that runs"


def runnable(page: Path) -> list[Block]:
    return [
        block for block in blocks(page) if block.lang in SHELL_LANGS | {"python"} and not block.skip_reason
    ]


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory) -> Path:
    """An empty Hugging Face home, as on a fresh machine: no model is cached."""
    return tmp_path_factory.mktemp("hf-home")


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=page_id)
def test_examples_run(page, tmp_path, hf_home, monkeypatch):
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    shutil.copytree(REPO / "docs" / "examples", tmp_path / "docs" / "examples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # this itnews
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(hf_home),
    }
    namespace: dict = {}
    monkeypatch.chdir(tmp_path)
    for block in runnable(page):
        if block.lang == "python":
            exec(compile("\n".join(block.body), f"{page_id(page)}:{block.line}", "exec"), namespace)
            continue
        for command in block.commands():
            if command.skip_reason:
                continue
            where = f"{page_id(page)}:{command.line}: {command.text}"
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command.text],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == command.status, f"{where}\n{done.stderr[-2000:]}"
            printed = {line.strip() for line in (done.stdout + done.stderr).splitlines()}
            for line in command.shown:
                assert line == "..." or line in printed, f"{where}: does not print {line!r}"
