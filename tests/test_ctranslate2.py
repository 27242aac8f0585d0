"""`--backend ctranslate2`: tiny models of every family converted once into a folder beside the HF cache,
decoding as torch does, with the pipeline's outputs, guard and provenance; one-line errors."""

import json
import shutil
from pathlib import Path

import pytest

from itnews.bench.stand_ins import CTranslate2LengthForcer
from itnews.summarise.ctranslate2_model import SETTINGS_FILE, CTranslate2Model, convert, require_ctranslate2
from itnews.summarise.presets import ModelUnavailable
from itnews.summarise.seq2seq import Seq2SeqModel
from itnews.summarise.steps import SummaryOptions
from tests.conftest import CORPUS, TEST_COMMIT

INPUTS = [
    "Il governo ha approvato la legge di bilancio.",
    "La squadra è tornata in testa alla classifica dopo la vittoria di domenica sera contro la Juventus.",
    "Secondo l'Istat l'inflazione è scesa.",
    "Il sindaco ha detto che la città avrà presto una nuova linea della metropolitana.",
]
ARTICLE = CORPUS / "articles" / "economia-01.txt"
TASKS = {"marian": "translate", "mbart50": "translate"}


@pytest.fixture
def hf_home(tmp_path, monkeypatch) -> Path:
    """HF_HOME for this test: converted models go to <it>/ctranslate2 (read when converting)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("family", ["t5", "mt5", "bart", "mbart", "mbart50", "marian"])
def test_converted_models_decode_greedily_as_torch_does(tiny_models, hf_home, family):
    """Same text for every input: the conversion (normalisation, output scaling, start and forced
    first tokens, banned tokens, the length limit) matches what transformers runs."""
    directory, task = str(tiny_models / family), TASKS.get(family, "summarise")
    settings = {"num_beams": 1, "max_new_tokens": 12}
    expected = [g.text for g in Seq2SeqModel.load(directory, task, "cpu").generate(INPUTS, **settings)]
    converted = CTranslate2Model.load(directory, task, "cpu")
    assert [g.text for g in converted.generate(INPUTS, **settings)] == expected
    assert len(set(expected)) > 1  # different inputs, different outputs: order is really checked


def test_beam_candidates_come_best_first_with_their_scores(tiny_models, hf_home):
    model = CTranslate2Model.load(str(tiny_models / "bart"), "summarise", "cpu")
    outputs = model.generate(INPUTS, candidates=True, num_beams=3, max_new_tokens=10)
    for output in outputs:
        assert len(output.candidates) == 3 and output.candidates[0][0] == output.text
        scores = [score for _, score in output.candidates]
        assert scores == sorted(scores, reverse=True) and scores[0] < 0


def test_a_model_is_converted_once_per_content(tiny_models, hf_home, tmp_path_factory, monkeypatch):
    directory = tmp_path_factory.mktemp("model") / "marian"
    shutil.copytree(tiny_models / "marian", directory)
    first = convert(str(directory), str(directory))
    assert first.parent.parent == hf_home / "ctranslate2" and (first / "model.bin").is_file()
    assert json.loads((first / SETTINGS_FILE).read_text())["model_type"] == "marian"

    def must_not_convert(*args):
        raise AssertionError("converted again")

    with monkeypatch.context() as patched:
        patched.setattr("itnews.summarise.ctranslate2_model.write_converted", must_not_convert)
        assert convert(str(directory), str(directory)) == first
        assert CTranslate2Model.load(str(directory), "translate", "cpu").generate(INPUTS[:1])[0].text
    (directory / "config.json").write_text((directory / "config.json").read_text() + "\n")  # new content
    second = convert(str(directory), str(directory))
    assert second != first and second.parent == first.parent


def test_a_failed_conversion_leaves_nothing_behind(tiny_models, hf_home, monkeypatch):
    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("itnews.summarise.ctranslate2_model.fill_missing_tokens", disk_full)
    with pytest.raises(ModelUnavailable, match="cannot convert to CTranslate2: .*No space left"):
        convert(str(tiny_models / "bart"), str(tiny_models / "bart"))
    leftovers = [path for path in (hf_home / "ctranslate2").rglob("*") if path.is_file()]
    assert leftovers == []


def test_length_forcer_cuts_each_output_to_its_own_length(tiny_models, hf_home):
    model = CTranslate2Model.load(str(tiny_models / "marian"), "translate", "cpu")
    forcer = CTranslate2LengthForcer(model, lambda lengths: [n + 2 for n in lengths])
    sources = [model.tokenizer.convert_ids_to_tokens(ids) for ids in model.tokenizer(INPUTS)["input_ids"]]
    results = model.translator.translate_batch(sources, beam_size=2, max_decoding_length=200)
    targets = [len(source) + 2 for source in sources]
    assert [len(result.hypotheses[0]) for result in results] == [t - 1 for t in targets]
    assert forcer.tokens == sum(targets) and forcer.wasted == sum(max(targets) - t for t in targets) > 0


def test_options_name_one_backend_and_one_compute_type():
    assert SummaryOptions(backend="ctranslate2", quantize=True).compute_type == "int8"
    for wrong in (
        {"backend": "onnx"},
        {"compute_type": "int8"},  # torch
        {"backend": "ctranslate2", "quantize": True, "compute_type": "float32"},
    ):
        with pytest.raises(ValueError):
            SummaryOptions(**wrong)


def test_without_ctranslate2_installed_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelUnavailable, match=r"pip install 'itnews\[ctranslate2\]'"):
        require_ctranslate2("opus-mt-it-en")


# --- the command line -----------------------------------------------------------------------------


def test_cli_converts_a_cached_hub_model_per_revision_and_summarises_with_it(cli, hub_cache, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(hub_cache, home)
    env = {"HF_HOME": str(home)}
    converted = cli("models", "convert", "itnews-test/tiny-marian", env=env)
    assert converted.returncode == 0, converted.stderr
    folder = home / "ctranslate2" / "models--itnews-test--tiny-marian" / TEST_COMMIT
    assert converted.stdout.strip() == f"itnews-test/tiny-marian: {folder}"
    args = ["summarise", str(ARTICLE), "--model", "itnews-test/tiny-t5", "--json", "--backend", "ctranslate2"]
    done = cli(*args, "--translator", "itnews-test/tiny-marian", "--quantize", env=env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["summary_it"] and record["summary_en"] and "faithfulness" in record["checks"]
    summariser, translator = record["model"]["summariser"], record["model"]["translator"]
    assert summariser["backend"] == translator["backend"] == "ctranslate2"
    assert summariser["dtype"] == translator["dtype"] == "int8"
    assert summariser["revision"] == translator["revision"] == TEST_COMMIT
    assert summariser["backend_version"]
    assert sorted(p.name for p in (home / "ctranslate2").iterdir()) == [
        "models--itnews-test--tiny-marian",
        "models--itnews-test--tiny-t5",
    ]


def test_cli_batch_on_ctranslate2_writes_every_record(cli, tiny_models, tmp_path):
    out = tmp_path / "out.jsonl"
    done = cli(
        "batch",
        str(CORPUS / "articles"),
        "--limit",
        "4",
        "--out",
        str(out),
        "--model",
        str(tiny_models / "bart"),
        "--lang",
        "it",
        "--backend",
        "ctranslate2",
        env={"HF_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 4 and all(r["status"] == "ok" and r["summary_it"] for r in records)
    assert {r["model"]["summariser"]["backend"] for r in records} == {"ctranslate2"}


def test_cli_errors_are_one_line(cli, tiny_models, tmp_path):
    env = {"HF_HOME": str(tmp_path)}
    model = ["summarise", str(ARTICLE), "--model", str(tiny_models / "bart"), "--lang", "it"]
    unsupported = cli(
        *model, "--backend", "ctranslate2", "--compute-type", "float16", "--device", "cpu", env=env
    )
    assert unsupported.returncode == 1 and unsupported.stdout == ""
    assert unsupported.stderr.startswith(
        f"error: {tiny_models / 'bart'}: compute type float16 is not supported"
    )
    assert len(unsupported.stderr.strip().splitlines()) == 1
    assert cli(*model, "--compute-type", "int8", env=env).returncode == 2  # torch has no compute types
    assert cli(*model, "--backend", "onnx", env=env).returncode == 2
    missing = cli("models", "convert", str(tmp_path / "nothing"), env=env)
    assert (
        missing.returncode == 1
        and missing.stderr.count("\n") == 1
        and "not a model directory" in missing.stderr
    )
    assert "Traceback" not in unsupported.stderr + missing.stderr
