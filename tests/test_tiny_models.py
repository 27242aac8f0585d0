"""The tiny test models build, load through the public Auto* path (from a directory and by hub id offline)."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.tiny_models import DEFAULT_COMMIT, FAMILIES, REPO, build_tiny_model, corpus_texts, hub_cache_layout

pytestmark = pytest.mark.slow

ITALIAN = "Il governo ha approvato la legge. Perché è così? Secondo l'Istat, più città però dell'azienda."
EXPECTED = {
    "t5": ("T5Tokenizer", "T5ForConditionalGeneration"),
    "mt5": ("T5Tokenizer", "MT5ForConditionalGeneration"),
    "bart": ("RobertaTokenizer", "BartForConditionalGeneration"),  # v5: BartTokenizer is RobertaTokenizer
    "mbart": ("MBartTokenizer", "MBartForConditionalGeneration"),
    "mbart50": ("MBart50Tokenizer", "MBartForConditionalGeneration"),
    "marian": ("MarianTokenizer", "MarianMTModel"),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    texts = corpus_texts()
    for family in FAMILIES:
        build_tiny_model(family, root / family, texts)
    return root


def load(path: Path | str, **kwargs):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        tok = AutoTokenizer.from_pretrained(path, **kwargs)
    return tok, AutoModelForSeq2SeqLM.from_pretrained(path, **kwargs)


@pytest.mark.parametrize("family", FAMILIES)
def test_loads_and_generates_deterministically(models, family):
    tok, model = load(models / family)
    assert (type(tok).__name__, type(model).__name__) == EXPECTED[family]
    assert model.config.vocab_size == len(tok)
    batch = tok(["Il governo ha approvato la legge.", ITALIAN], return_tensors="pt", padding=True)
    first = model.generate(**batch, max_new_tokens=8)
    second = model.generate(**batch, max_new_tokens=8)
    assert first.tolist() == second.tolist()
    texts = tok.batch_decode(first, skip_special_tokens=True)
    assert len(texts) == 2 and all(t.strip() for t in texts)  # specials are banned: visible text


@pytest.mark.parametrize("family", FAMILIES)
def test_tokenizer_round_trips_italian_without_unk(models, family):
    tok, _ = load(models / family)
    ids = tok(ITALIAN)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True).strip() == ITALIAN
    if family.startswith("mbart"):
        assert tok.convert_ids_to_tokens(ids).count("it_IT") == 1  # src_lang saved in tokenizer_config


def test_build_is_deterministic(tmp_path):
    texts = corpus_texts()
    a, b = (build_tiny_model("t5", tmp_path / name, texts) for name in "ab")
    for name in ("spiece.model", "model.safetensors", "tokenizer.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# HF_HOME / HF_HUB_OFFLINE are read when huggingface_hub is imported, so the env-var path runs in a
# fresh interpreter.  HF_HUB_CACHE would take priority over HF_HOME: drop it and its legacy spellings.
HUB_SCRIPT = """
import json, sys, time
import huggingface_hub
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
out = {}
for repo_id in sys.argv[1:]:
    tok = AutoTokenizer.from_pretrained(repo_id)
    model = AutoModelForSeq2SeqLM.from_pretrained(repo_id)
    ids = model.generate(**tok(["Il governo ha approvato la legge."], return_tensors="pt"), max_new_tokens=4)
    commit = huggingface_hub.resolve_revision(repo_id, local_files_only=True).resolved
    out[repo_id] = [type(tok).__name__, type(model).__name__, commit, tok.batch_decode(ids)[0]]
start = time.perf_counter()
try:
    AutoModelForSeq2SeqLM.from_pretrained("itnews-test/not-in-cache")
except Exception as exc:
    out["error"] = [type(exc).__name__, isinstance(exc, OSError), type(exc.__cause__).__name__]
out["error_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def test_hub_cache_layout_loads_by_repo_id_offline(models, tmp_path):
    repos = {f"itnews-test/tiny-{family}": family for family in ("t5", "mbart50", "marian")}
    for repo_id, family in repos.items():
        snapshot = hub_cache_layout(models / family, tmp_path, repo_id)
        assert snapshot == tmp_path / "hub" / f"models--itnews-test--tiny-{family}/snapshots/{DEFAULT_COMMIT}"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    env.update(HF_HOME=str(tmp_path), HF_HUB_OFFLINE="1", PYTHONWARNINGS="ignore")
    done = subprocess.run(
        [sys.executable, "-c", HUB_SCRIPT, *repos],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for repo_id, family in repos.items():
        tok_cls, model_cls, commit, text = out[repo_id]
        assert (tok_cls, model_cls) == EXPECTED[family]
        assert commit == DEFAULT_COMMIT and text
    # An uncached id offline: transformers raises a plain OSError (the huggingface_hub
    # LocalEntryNotFoundError is only its __cause__), at once - no network retries.
    assert out["error"] == ["OSError", True, "LocalEntryNotFoundError"]
    assert out["error_s"] < 5


def test_hub_cache_in_process_needs_explicit_cache_dir(models, tmp_path):
    """Without the env vars (already read at import), pass cache_dir=<HF_HOME>/hub and local_files_only."""
    hub_cache_layout(models / "bart", tmp_path, "itnews-test/tiny-bart")
    tok, model = load("itnews-test/tiny-bart", cache_dir=tmp_path / "hub", local_files_only=True)
    assert (type(tok).__name__, type(model).__name__) == EXPECTED["bart"]
    refs = tmp_path / "hub" / "models--itnews-test--tiny-bart" / "refs" / "main"
    assert refs.read_text() == DEFAULT_COMMIT
    assert json.loads((models / "bart" / "generation_config.json").read_text())["forced_bos_token_id"] == 0
