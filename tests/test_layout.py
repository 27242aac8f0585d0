"""The package's layers (pyproject's [tool.importlinter]): the tree keeps them, and the check fails
on a copy of the tree given an upward import, a circle between modules, or a folder without a layer.
Every folder ships in the wheel."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO

LAYERS_BROKEN = "Folders import only the layers below them BROKEN"
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        # Ahead of the editable install's finder, which comes after the path on sys.meta_path.
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_tree_keeps_its_layers():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # core at the bottom reaching up to the commands
        ("core/record.py", "import itnews.cli.batch", LAYERS_BROKEN),
        # two siblings of one layer
        ("digest/report.py", "import itnews.evaluate.rouge", LAYERS_BROKEN),
        # a circle inside a folder: clean imports sentences, now sentences imports clean
        ("ingest/sentences.py", "import itnews.ingest.clean", "No import cycles"),
        # a new folder nobody gave a layer
        ("feeds/__init__.py", "import itnews.core.record", LAYERS_BROKEN),
    ],
)
def test_the_check_fails_when_a_layer_is_broken(tmp_path, module, line, broken):
    shutil.copytree(REPO / "pipeline", tmp_path / "itnews", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    assert lint_imports(tmp_path, pythonpath=tmp_path).returncode == 0  # the copy itself is clean

    target = tmp_path / "itnews" / module
    target.parent.mkdir(exist_ok=True)
    with target.open("a", encoding="utf-8") as file:
        file.write(f"\n{line}\n")
    result = lint_imports(tmp_path, pythonpath=tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout


def test_every_folder_ships_in_the_wheel():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {f"itnews.{init.parent.name}" for init in (REPO / "pipeline").glob("*/__init__.py")}
    assert folders  # the glob found the sub-packages
    assert folders | {"itnews", "itnews.models"} == set(setuptools["packages"])
