"""`itnews bench` on tiny versions of the presets' architectures: beam search batched as the loop does it
one by one, forced output lengths, the result record, and the command line's argument checks."""

import json

import pytest

from itnews.bench.stand_ins import (
    SUMMARY_TOKENS,
    CorpusTokenizer,
    LengthForcer,
    build_model,
    train_pieces,
    translation_lengths,
)
from itnews.bench.suite import BenchRun, bench, greedy_preset
from itnews.summarise.presets import load_presets
from itnews.summarise.seq2seq import Seq2SeqModel

INPUTS = [
    "Il governo ha approvato la legge di bilancio.",
    "La squadra è tornata in testa alla classifica dopo la vittoria di domenica sera contro la Juventus.",
    "Secondo l'Istat l'inflazione è scesa.",
    "Il sindaco ha detto che la città avrà presto una nuova linea della metropolitana.",
]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models are all per-operation overhead, which a second thread only adds to."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("family", ["bart", "marian"])
def test_batched_beam_search_equals_the_loop_one_by_one(tiny_models, family):
    model = Seq2SeqModel.load(str(tiny_models / family), "summarise", "cpu")
    settings = {**model.generation_settings, "num_beams": 4, "max_new_tokens": 12, "early_stopping": True}
    batched = [g.text for g in model.generate(INPUTS, **settings)]
    alone = []
    for text in INPUTS:  # the model card's loop: plain transformers generate, one input at a time
        generated = model.model.generate(**model.tokenizer(text, return_tensors="pt"), **settings)
        alone.append(model.tokenizer.decode(generated[0], skip_special_tokens=True).strip())
    assert batched == alone
    assert len(set(alone)) > 1  # different inputs, different outputs: order is really checked


@pytest.mark.parametrize("num_beams", [1, 3])
def test_forced_lengths_are_exact(num_beams):
    preset = load_presets()[0]["opus-mt-it-en"]
    model, _ = build_model(preset, tiny=True)
    tokenizer = CorpusTokenizer(train_pieces(INPUTS * 20), model)
    forcer = LengthForcer(model, translation_lengths(preset))
    encoded = tokenizer(INPUTS, return_tensors="pt", padding=True)
    targets = translation_lengths(preset)(encoded["attention_mask"].sum(dim=1).tolist())
    generated = model.generate(**encoded, num_beams=num_beams, max_new_tokens=5)
    eos = model.generation_config.eos_token_id
    lengths = [row[1:].tolist().index(eos) + 1 for row in generated]  # after the decoder start token
    assert lengths == targets and len(set(targets)) > 1
    assert forcer.tokens == sum(targets)


def test_bench_records_on_tiny_architectures():
    results = [r.to_dict() for r in bench(["bart-it-fanpage", "opus-mt-it-en"], 3, "cpu", tiny=True)]
    assert [(r["preset"], r["role"]) for r in results] == [
        ("bart-it-fanpage", "summarise"),
        ("opus-mt-it-en", "translate"),
    ]
    for r in results:
        json.dumps(r)
        assert r["device"] == "cpu" and r["articles"] == 3
        assert r["articles_per_s"] > 0 and r["baseline_articles_per_s"] > 0
        assert 0 <= r["speedup"] < float("inf") and 0 <= r["agreement"] <= 1
        assert 0 < r["p50_s"] <= r["p95_s"] and r["peak_rss_mb"] > 0 and r["peak_gpu_mb"] is None
    summaries = results[0]  # each forced to SUMMARY_TOKENS tokens
    assert summaries["tokens_per_s"] / summaries["articles_per_s"] == pytest.approx(SUMMARY_TOKENS, rel=0.01)


def test_cli_bench_help_and_argument_errors(cli):
    helped = cli("bench", "--help")
    assert helped.returncode == 0 and "--preset" in helped.stdout and "--articles" in helped.stdout
    unknown = cli("bench", "--preset", "nope")
    assert unknown.returncode == 2 and "unknown preset nope" in unknown.stderr
    assert cli("bench", "--articles", "0").returncode == 2
    assert cli("bench", "--run", "torch:int8", "--device", "cuda").returncode == 2
    for wrong in ("torch:int4", "onnx", "ctranslate2-directly:int8"):
        assert cli("bench", "--run", wrong).returncode == 2


@pytest.mark.skipif("__import__('torch').cuda.is_available()")
def test_cli_bench_without_cuda_is_a_one_line_error(cli):
    completed = cli("bench", "--device", "cuda", "--preset", "opus-mt-it-en")
    assert completed.returncode == 1 and completed.stdout == ""
    assert completed.stderr.strip() == "error: cuda: CUDA was requested but no CUDA device is available"


def test_greedy_bench_decodes_with_one_beam_on_both_paths():
    presets, _ = load_presets()
    assert presets["opus-mt-it-en"].generate["num_beams"] > 1
    greedy = greedy_preset(presets["opus-mt-it-en"])
    assert greedy.generate["num_beams"] == 1 and "early_stopping" not in greedy.generate
    assert greedy.generate["max_new_tokens"] == presets["opus-mt-it-en"].generate["max_new_tokens"]
    [record] = bench(["opus-mt-it-en"], 3, "cpu", greedy=True, tiny=True)
    assert record.num_beams == 1
    assert record.agreement == 1.0  # same inputs, same model, greedy: batching must not change the text


def test_bench_casts_only_the_batch_path_and_says_so():
    [record] = bench(["opus-mt-it-en"], 2, "cpu", [BenchRun("torch", "bfloat16")], greedy=True, tiny=True)
    assert record.dtype == "bfloat16" and record.backend == "torch" and 0 <= record.agreement <= 1


def test_bench_rows_per_backend_and_compute_type_on_the_same_forced_lengths():
    runs = [
        BenchRun("torch", "int8"),
        BenchRun("ctranslate2", "float32"),
        BenchRun("ctranslate2-direct", "int8"),
    ]
    results = list(bench(["bart-it-fanpage"], 3, "cpu", runs, greedy=True, tiny=True))
    # CTranslate2 runs come first: they convert the weights the loop ran, before any cast or quantization.
    assert [(r.backend, r.dtype) for r in results] == [
        ("ctranslate2", "float32"),
        ("ctranslate2-direct", "int8"),
        ("torch", "float32 + int8 linear"),
    ]
    for r in results:
        assert r.tokens_per_s / r.articles_per_s == pytest.approx(SUMMARY_TOKENS, rel=0.01)
        assert 0 <= r.agreement <= r.token_agreement <= 1 and r.decoded_past_forced == 0
    assert results[0].token_agreement > 0.5  # float32 CTranslate2 decodes the same model
