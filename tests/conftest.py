"""Shared helpers: run the CLI as a user would, in a subprocess, offline."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
# Lead-3 and the extractive summariser scored on the whole corpus: `itnews eval` as the docs run it.
EVAL_CORPUS = ("eval", "--system", "lead3,extractive", "--references", str(CORPUS / "references.jsonl"))


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None, timeout: int = 600):
    """Run ``itnews ARGS`` in a subprocess; returns the CompletedProcess (text mode)."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "itnews.cli", *args],
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


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """Tiny random models of every family the presets use, saved with save_pretrained."""
    from tests.tiny_models import FAMILIES, build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    for family in FAMILIES:
        build_tiny_model(family, root / family)
    return root


TEST_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def hub_cache(tiny_models, tmp_path_factory) -> Path:
    """An HF_HOME whose hub cache holds tiny models under test repo ids and under the ids of the
    default presets, laid out as huggingface_hub does (snapshots/<commit>, refs/main)."""
    from tests.tiny_models import hub_cache_layout

    home = tmp_path_factory.mktemp("hf-home")
    for family in ("t5", "marian"):
        hub_cache_layout(tiny_models / family, home, f"itnews-test/tiny-{family}", TEST_COMMIT)
    hub_cache_layout(tiny_models / "mbart", home, "ARTeLab/mbart-summarization-ilpost", TEST_COMMIT)
    hub_cache_layout(tiny_models / "marian", home, "Helsinki-NLP/opus-mt-it-en", TEST_COMMIT)
    return home
