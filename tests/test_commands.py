"""The conventions of a well-kept CLI: versions, listings that scripts and pipes can use whole,
shell completion."""

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from itnews.summarise.presets import load_presets

from .conftest import run_cli

ANSI_ESCAPE = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-8]|9[0-7])(?:;[0-9]+)*m")  # a foreground colour


def test_version_names_itnews_and_the_libraries_behind_it(cli):
    completed = cli("--version")
    assert completed.returncode == 0, completed.stderr
    line = completed.stdout.strip()
    assert line.startswith(f"itnews {metadata.version('itnews')} (")
    assert (
        f"torch {metadata.version('torch')}" in line
        and f"transformers {metadata.version('transformers')}" in line
    )


def test_version_json_has_the_libraries_and_the_device(cli):
    completed = cli("version", "--json")
    assert completed.returncode == 0, completed.stderr
    found = json.loads(completed.stdout)
    assert found["itnews"] == metadata.version("itnews") and found["torch"] == metadata.version("torch")
    assert found["device"]["cuda"] in (True, False) and found["device"]["cpu_threads"] >= 1


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_models_list_in_a_pipe_keeps_every_name_and_hub_id_whole(columns):
    completed = run_cli("models", "list", env={"COLUMNS": columns})
    out = completed.stdout.decode("utf-8")
    assert completed.returncode == 0
    assert not ANSI_ESCAPE.search(out)  # not a terminal: no colours
    presets, _ = load_presets()
    cells = {cell.strip() for line in out.splitlines() for cell in re.split(r"[│┃]", line)}
    for name, preset in presets.items():
        assert name in cells or f"{name} (default)" in cells, name
        assert preset.hub_id in cells, preset.hub_id
    assert ("licence" in out) == (columns == "200")  # the decorative columns go first


def test_models_list_and_info_json(cli):
    presets, defaults = load_presets()
    listed = [json.loads(line) for line in cli("models", "list", "--json").stdout.splitlines()]
    assert [row["preset"] for row in listed] == list(presets)
    assert all(row["hub_id"] == presets[row["preset"]].hub_id for row in listed)
    assert {row["preset"] for row in listed if row["default"]} == set(defaults.values())
    name = next(iter(presets))
    info = json.loads(cli("models", "info", name, "--json").stdout)
    assert info["name"] == name and info["hub_id"] == presets[name].hub_id and info["cached"] is False


def test_no_color_is_honoured_on_a_terminal_too(cli):
    colour = cli("--help", env={"FORCE_COLOR": "1"})
    plain = cli("--help", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert COLOUR.search(colour.stdout)  # a terminal gets colours...
    assert not COLOUR.search(plain.stdout) and "summarise" in plain.stdout  # ...unless NO_COLOR is set


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts(shell):
    itnews = Path(sys.executable).with_name("itnews")
    completed = subprocess.run(
        [itnews, "--show-completion", shell], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "_ITNEWS_COMPLETE" in completed.stdout


def test_help_keeps_the_extras_in_brackets(cli):
    """rich reads "[ray]" as markup and drops it; the help must say what to install."""
    shown = cli("batch", "--help", env={"COLUMNS": "250"}).stdout
    assert "itnews[ray]" in shown and "itnews[ctranslate2]" in shown
