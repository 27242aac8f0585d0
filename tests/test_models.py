"""Seq2seq summarisation mechanics on tiny random models: loading, batching, languages, long inputs."""

import json

import pytest

from itnews.core.steps import apply
from itnews.ingest.clean import read_article
from itnews.summarise.presets import ModelUnavailable, architecture_config, load_presets, preset_for
from itnews.summarise.seq2seq import (
    BATCH_TOKENS,
    MAX_BATCH_SIZE,
    TRANSLATION_SPREAD,
    Seq2SeqModel,
    length_sorted_batches,
    resolve_device,
)
from itnews.summarise.steps import SummaryOptions, sentence_chunks, summary_steps

from .conftest import CORPUS, TEST_COMMIT

ARTICLE = CORPUS / "articles" / "politica-01.txt"
INPUTS = [
    "Il governo ha approvato la legge di bilancio.",
    "La squadra è tornata in testa alla classifica dopo la vittoria di domenica sera contro la Juventus.",
    "Secondo l'Istat l'inflazione è scesa.",
    "Il sindaco ha detto che la città avrà presto una nuova linea della metropolitana e più bus elettrici.",
]


# --- presets --------------------------------------------------------------------------------


def test_every_preset_has_a_loadable_architecture_and_a_sane_dtype_policy():
    from transformers import AutoConfig

    presets, defaults = load_presets()
    assert {"summarise", "translate", "instruct"} <= {p.task for p in presets.values()}
    assert presets[defaults["summariser"]].task == "summarise"
    assert presets[defaults["translator"]].task == "translate"
    for preset in presets.values():
        config = AutoConfig.for_model(**architecture_config(preset))
        assert config.is_encoder_decoder
        assert preset.generate["max_new_tokens"] >= 60
        if preset.family in ("t5", "mt5"):  # fp16 overflows in T5-family activations
            assert preset.dtype["cuda"] in ("bfloat16", "float32")
        if preset.family in ("mbart50", "nllb"):  # many-to-many models need the target language forced
            assert preset.forced_bos_token == preset.target_lang


def test_settings_for_a_bare_model_follow_its_family():
    assert preset_for("x", "summarise", {"model_type": "t5"}).dtype["cuda"] == "bfloat16"
    translator = preset_for("x", "translate", {"model_type": "mbart"})
    assert (translator.family, translator.forced_bos_token, translator.source_lang) == (
        "mbart50",
        "en_XX",
        "it_IT",
    )
    assert preset_for("x", "summarise", {"model_type": "mbart"}).forced_bos_token == ""


# --- devices --------------------------------------------------------------------------------


def test_cuda_is_chosen_only_when_present(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    with pytest.raises(ModelUnavailable, match="no CUDA device"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda:1") == "cuda:1"
    with pytest.raises(ModelUnavailable, match="no CUDA device 2"):
        resolve_device("cuda:2")
    with pytest.raises(ModelUnavailable):
        resolve_device("tpu")


@pytest.mark.skipif("not __import__('torch').cuda.is_available()")
def test_model_runs_on_cuda_in_the_preset_dtype(tiny_models):
    import torch

    model = Seq2SeqModel.load(str(tiny_models / "t5"), "summarise", "cuda")
    parameter = next(model.model.parameters())
    assert parameter.device.type == "cuda" and parameter.dtype == torch.bfloat16
    assert len(model.generate(INPUTS)) == len(INPUTS)


# --- batching -------------------------------------------------------------------------------


@pytest.mark.parametrize("beams", [1, 4])
def test_length_sorted_batches_cover_every_index_once_within_budget(beams):
    lengths = [5, 300, 40, 41, 900, 7, 7, 120, 2000, 1500] * 10
    batches = length_sorted_batches(lengths, max_length=1024, device="cpu", beams=beams)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        longest = min(max(lengths[i] for i in batch), 1024)
        assert longest * len(batch) * beams <= BATCH_TOKENS["cpu"] or len(batch) == 1
        assert len(batch) <= MAX_BATCH_SIZE["cpu"]
        assert [lengths[i] for i in batch] == sorted((lengths[i] for i in batch), reverse=True)
    assert max(map(len, batches)) == MAX_BATCH_SIZE["cpu"]  # the short inputs fill whole batches
    long_inputs = [batch for batch in batches if lengths[batch[0]] >= 1024]
    assert max(map(len, long_inputs)) == min(MAX_BATCH_SIZE["cpu"], BATCH_TOKENS["cpu"] // (1024 * beams))


def test_translation_batches_keep_each_input_within_half_the_longest():
    lengths = [12, 60, 31, 29, 58, 15, 44, 9, 30, 61, 8, 22] * 3
    batches = length_sorted_batches(lengths, 512, "cpu", beams=6, spread=TRANSLATION_SPREAD)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert min(lengths[i] for i in batch) >= TRANSLATION_SPREAD * lengths[batch[0]]
    assert len(batches) < len(lengths) / 4  # still batches, not one input each
    assert len(length_sorted_batches(lengths, 512, "cpu", beams=6)) == 2  # without it: budget only


@pytest.mark.parametrize("family", ["t5", "mt5", "bart", "mbart", "marian"])
@pytest.mark.parametrize("num_beams", [1, 4])
def test_batched_generation_equals_one_by_one_in_input_order(tiny_models, family, num_beams):
    model = Seq2SeqModel.load(str(tiny_models / family), "summarise", "cpu")
    settings = {"num_beams": num_beams, "max_new_tokens": 12, "early_stopping": True}
    batched = [g.text for g in model.generate(INPUTS, **settings)]
    alone = [model.generate([text], **settings)[0].text for text in INPUTS]
    assert batched == alone
    assert len(set(alone)) > 1  # different inputs, different outputs: order is really checked


def test_forced_target_language_token_is_generated_first(tiny_models):
    translator = Seq2SeqModel.load(str(tiny_models / "mbart50"), "translate", "cpu")
    english = translator.tokenizer.convert_tokens_to_ids("en_XX")
    assert translator.generation_settings["forced_bos_token_id"] == english
    assert translator.tokenizer.src_lang == "it_IT"
    encoded = translator.tokenizer(INPUTS[:2], return_tensors="pt", padding=True)
    generated = translator.model.generate(
        **encoded, **{**translator.generation_settings, "max_new_tokens": 5}
    )
    assert generated[:, 1].tolist() == [english, english]  # after the decoder start token


# --- summaries ------------------------------------------------------------------------------


def test_both_summaries_with_provenance(tiny_models):
    steps = summary_steps(
        SummaryOptions(model=str(tiny_models / "t5"), translator=str(tiny_models / "marian"), device="cpu")
    )
    [result] = apply(steps, [read_article(str(ARTICLE))])
    assert result.status == "ok" and result.method == "seq2seq"
    assert result.summary_it and result.summary_en
    assert result.model["summariser"]["id"] == str(tiny_models / "t5")
    assert result.model["translator"]["family"] == "marian"
    assert result.model["summariser"]["generation"]["num_beams"] == 4
    assert result.model["summariser"]["device"] == "cpu"
    assert result.timings["summarise_it_s"] > 0 and result.timings["translate_en_s"] > 0


def test_truncation_warns_and_chunking_does_not(tiny_models):
    article = read_article(str(ARTICLE))
    options = SummaryOptions(model=str(tiny_models / "bart"), languages=("it",), device="cpu")
    truncating = summary_steps(options)
    assert (
        truncating[0].model.count_tokens([" ".join(article.sentences)])[0]
        > truncating[0].model.max_input_tokens
    )
    [truncated] = apply(truncating, [article])
    assert any("truncated" in w for w in truncated.warnings)
    options.long = "chunk"
    [chunked] = apply(summary_steps(options), [read_article(str(ARTICLE))])
    assert chunked.summary_it and not any("truncated" in w for w in chunked.warnings)


def test_chunks_follow_sentence_boundaries_within_budget(tiny_models):
    article = read_article(str(ARTICLE))
    model = Seq2SeqModel.load(str(tiny_models / "bart"), "summarise", "cpu")
    counts = model.count_tokens(article.sentences)
    chunks = sentence_chunks(article.sentences, counts, budget=120)
    assert " ".join(chunks) == " ".join(article.sentences)  # nothing lost, order kept
    sentence_set = set(article.sentences)
    position = 0
    for chunk in chunks:  # each chunk is a run of whole sentences
        taken = []
        while position < len(article.sentences) and " ".join([*taken, article.sentences[position]]) in chunk:
            taken.append(article.sentences[position])
            position += 1
        assert " ".join(taken) == chunk and set(taken) <= sentence_set
        assert sum(counts[article.sentences.index(s)] for s in taken) <= 120 or len(taken) == 1
    assert len(chunks) > 1


def test_a_failing_article_becomes_an_error_result_and_the_batch_goes_on(tiny_models, monkeypatch):
    steps = summary_steps(SummaryOptions(model=str(tiny_models / "t5"), languages=("it",), device="cpu"))
    articles = [read_article(str(path)) for path in sorted((CORPUS / "articles").glob("*.txt"))[:3]]
    real_generate = steps[0].model.generate

    def choke_on_second(texts, **settings):
        if any(articles[1].sentences[0] in text for text in texts):
            raise RuntimeError("model choked")
        return real_generate(texts, **settings)

    monkeypatch.setattr(steps[0].model, "generate", choke_on_second)
    results = apply(steps, articles)
    assert [r.id for r in results] == [a.id for a in articles]
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert "model choked" in results[1].error


# --- the CLI, loading by directory and by hub id from the cache -------------------------------


def test_cli_local_directories_give_both_summaries(cli, tiny_models):
    completed = cli(
        "summarise",
        str(ARTICLE),
        "--json",
        "--model",
        str(tiny_models / "t5"),
        "--translator",
        str(tiny_models / "marian"),
    )
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert record["summary_it"] and record["summary_en"]
    assert record["model"]["summariser"]["revision"] is None
    assert "Traceback" not in completed.stderr


def test_cli_hub_ids_load_from_an_offline_cache_with_their_revision(cli, hub_cache):
    completed = cli(
        "summarise",
        str(ARTICLE),
        "--json",
        "--model",
        "itnews-test/tiny-t5",
        "--translator",
        "itnews-test/tiny-marian",
        env={"HF_HOME": str(hub_cache)},
    )
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert record["summary_it"] and record["summary_en"]
    assert record["model"]["summariser"]["id"] == "itnews-test/tiny-t5"
    assert record["model"]["summariser"]["revision"] == TEST_COMMIT
    assert record["model"]["translator"]["revision"] == TEST_COMMIT


def test_cli_uses_the_default_presets_when_they_are_cached(cli, hub_cache):
    completed = cli("summarise", str(ARTICLE), "--json", env={"HF_HOME": str(hub_cache)})
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert record["method"] == "seq2seq"
    assert record["model"]["summariser"]["name"] == "mbart-ilpost"
    assert record["model"]["translator"]["id"] == "Helsinki-NLP/opus-mt-it-en"
    assert record["summary_en"]


def test_cli_falls_back_to_extractive_when_nothing_is_cached(cli, tmp_path):
    completed = cli("summarise", str(ARTICLE), "--json", env={"HF_HOME": str(tmp_path)})
    assert completed.returncode == 0
    record = json.loads(completed.stdout)
    assert record["method"] == "extractive" and record["summary_it"] and record["summary_en"] is None
    assert any("extractive" in w and "models pull mbart-ilpost" in w for w in record["warnings"])


def test_cli_uncached_hub_id_offline_is_one_line_error(cli, tmp_path):
    completed = cli(
        "summarise", str(ARTICLE), "--model", "Helsinki-NLP/opus-mt-it-en", env={"HF_HOME": str(tmp_path)}
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith("error: Helsinki-NLP/opus-mt-it-en: not in the local Hugging Face cache")
    assert "itnews models pull" in line


def test_cli_bad_model_directory_and_models_commands(cli, tmp_path):
    completed = cli("summarise", str(ARTICLE), "--model", str(tmp_path))
    assert completed.returncode == 1
    assert (
        completed.stderr.strip() == f"error: {tmp_path}: {tmp_path} is not a model directory (no config.json)"
    )
    info = cli("models", "info", "opus-mt-it-en")
    assert info.returncode == 0 and "Helsinki-NLP/opus-mt-it-en" in info.stdout
    assert cli("models", "info", "nope").returncode == 1
    pulled = cli("models", "pull", "opus-mt-it-en", env={"HF_HOME": str(tmp_path)})
    assert pulled.returncode == 1 and pulled.stderr.startswith("error: opus-mt-it-en: download failed")
    assert "Traceback" not in pulled.stderr


def test_int8_quantization_is_opt_in_and_cpu_only(tiny_models, monkeypatch):
    directory = str(tiny_models / "marian")
    plain = Seq2SeqModel.load(directory, "translate", "cpu")
    quantized = Seq2SeqModel.load(directory, "translate", "cpu", quantize=True)
    assert not any("quantized" in type(m).__module__ for m in plain.model.modules())
    assert any("quantized" in type(m).__module__ for m in quantized.model.modules())
    assert quantized.provenance()["dtype"] == "float32 + int8 linear"
    [generated] = quantized.generate(["Il governo ha approvato la legge di bilancio."], max_new_tokens=6)
    assert generated.text
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("torch.cuda.device_count", lambda: 1)
    with pytest.raises(ModelUnavailable, match="CPU only"):
        Seq2SeqModel.load(directory, "translate", "cuda", quantize=True)
