"""Shared helpers: run the CLI as a user would, in a subprocess, offline."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None, timeout: int = 600):
    """Run ``itnews ARGS`` in a subprocess; returns the CompletedProcess (text mode)."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        env=full_env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli():
    def run(*args, stdin=None, env=None):
        completed = run_cli(*args, stdin=stdin, env=env)
        completed.stdout = completed.stdout.decode("utf-8")
        completed.stderr = completed.stderr.decode("utf-8")
        return completed

    return run
