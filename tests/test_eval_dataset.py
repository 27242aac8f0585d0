"""`itnews eval --dataset`: systems scored on a dataset's rows, resumably, with the published figures.

The datasets are made here in the shapes of ARTeLab's Fanpage and Il Post (``source``/``target``),
from the corpus articles and their references, saved with `save_to_disk` and as Parquet.
"""

import functools
import json
import signal
import subprocess
import sys
import time

import pytest

from itnews.evaluate.runs import file_name

from .conftest import CORPUS, REPO, run_cli

DATASET_ARGS = ("--text-field", "source", "--reference-field", "target")
SMALL = 8  # rows of the saved dataset: enough for intervals, few for the tiny model's seconds


@functools.cache
def corpus_rows() -> list[dict]:
    """The corpus articles (read as `itnews ingest` reads them: some are not UTF-8) with their Italian
    references, as Fanpage rows."""
    from itnews.ingest.clean import read_article

    references = {r["id"]: r for r in map(json.loads, (CORPUS / "references.jsonl").open(encoding="utf-8"))}
    rows = []
    for entry in map(json.loads, (CORPUS / "index.jsonl").open(encoding="utf-8")):
        record = read_article(str(CORPUS / entry["path"]))
        text = f"{record.title}\n\n{record.text}" if record.title else record.text
        rows.append({"id": entry["id"], "source": text, "target": references[entry["id"]]["summary_it"]})
    return rows


def cli_json(*args, env=None):
    completed = run_cli(*args, env=env)
    return completed, completed.stdout.decode(), completed.stderr.decode()


def scored(report_json) -> dict:
    """What a report says, less what differs from run to run (nothing should)."""
    return json.loads(report_json.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def saved_dataset(tmp_path_factory):
    """The corpus as a save_to_disk DatasetDict (split "test") and as one Parquet file."""
    from datasets import Dataset, DatasetDict

    root = tmp_path_factory.mktemp("dataset")
    dataset = Dataset.from_list(corpus_rows()[:SMALL])
    DatasetDict({"test": dataset}).save_to_disk(str(root / "fanpage-like"))
    dataset.to_parquet(str(root / "fanpage-like.parquet"))
    return root


def test_systems_are_scored_on_a_saved_dataset_and_on_parquet_alike(saved_dataset, tmp_path, tiny_models):
    systems = f"lead3,extractive,{tiny_models / 'bart'}"
    outputs = {}
    for name, extra in (("saved", ("--split", "test")), ("parquet", ())):
        dataset = saved_dataset / ("fanpage-like" if name == "saved" else "fanpage-like.parquet")
        completed, stdout, stderr = cli_json(
            "eval", "--dataset", str(dataset), *extra, *DATASET_ARGS, "--system", systems,
            "--out", str(tmp_path / name), "--json",
        )  # fmt: skip
        assert completed.returncode == 0, stderr
        assert "Traceback" not in stderr
        outputs[name] = json.loads(stdout)
        assert (tmp_path / name / "report.md").exists() and (tmp_path / name / "report-it.png").exists()
    saved, parquet = outputs["saved"], outputs["parquet"]
    rows = SMALL
    assert saved["rows"] == rows and saved["split"] == "test" and parquet["split"] is None
    for mode in ("compat", "unicode"):
        systems_scored = saved["systems"][mode]
        assert [s["system"] for s in systems_scored] == ["lead3", "extractive", str(tiny_models / "bart")]
        assert all(s["n"]["it"] == rows for s in systems_scored)
        assert saved["systems"][mode] == parquet["systems"][mode]  # the same rows, read two ways
    compat, unicode = (saved["systems"][m][0]["it"]["rouge1"]["fmeasure"] for m in ("compat", "unicode"))
    assert compat != unicode  # two tokenizers, two figures
    markdown = (tmp_path / "saved" / "report.md").read_text(encoding="utf-8")
    assert "comparable with the published figures" in markdown and "report-it.png" in markdown


def test_a_killed_run_resumes_and_scores_every_row_once(tmp_path):
    rows = [dict(row, id=f"{row['id']}-{copy}") for copy in range(12) for row in corpus_rows()]
    dataset = tmp_path / "big.jsonl"
    dataset.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    args = ["eval", "--dataset", str(dataset), *DATASET_ARGS, "--system", "lead3,extractive"]
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "itnews.cli", *args, "--out", str(killed)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    first = killed / "lead3.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not first.exists() or first.read_bytes().count(b"\n") < 32):
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = first.read_bytes().count(b"\n")
    assert 0 < written < len(rows)

    resumed, _, stderr = cli_json(*args, "--out", str(killed))
    assert resumed.returncode == 0, stderr
    whole, _, _ = cli_json(*args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0
    for system in ("lead3", "extractive"):
        ids = [json.loads(line)["id"] for line in (killed / f"{system}.jsonl").open(encoding="utf-8")]
        assert sorted(ids) == sorted(row["id"] for row in rows)  # every row once
    assert scored(killed / "report.json") == scored(tmp_path / "whole" / "report.json")


def test_a_bad_row_is_an_error_record_counted_in_the_report_not_a_crash(tmp_path):
    rows = corpus_rows()[:4]
    rows[1] = dict(rows[1], source=12345)  # not text
    rows[2] = dict(rows[2], target=None)  # no reference
    dataset = tmp_path / "bad.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) for row in rows] + ["{not json"]
    dataset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    completed, stdout, stderr = cli_json(
        "eval", "--dataset", str(dataset), *DATASET_ARGS, "--system", "extractive",
        "--out", str(tmp_path / "run"), "--json",
    )  # fmt: skip
    assert completed.returncode == 1 and "Traceback" not in stderr
    result = json.loads(stdout)
    assert result["systems"]["unicode"][0]["n"]["it"] == 2  # rows 1 and 4 have a text and a reference
    assert any(f"{dataset}:2" in e and "not text" in e for e in result["errors"]["extractive"])
    assert any(f"{dataset}:5" in e and "malformed JSON" in e for e in result["errors"]["extractive"])
    assert any(f"{dataset}:3" in e for e in result["errors"]["references"])
    assert "## Rows not scored" in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")


def test_a_known_dataset_offline_is_one_line_naming_it_and_how_to_get_it(tmp_path):
    completed, _, stderr = cli_json(
        "eval", "--dataset", "fanpage", "--system", "lead3", "--out", str(tmp_path / "run"),
        env={"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert completed.returncode == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: fanpage: cannot load ARTeLab/fanpage")
    assert "save_to_disk" in lines[0] and "--text-field source --reference-field target" in lines[0]


def test_the_known_datasets_are_listed_with_their_published_figures():
    completed, stdout, _ = cli_json("eval", "--list-datasets", "--json")
    assert completed.returncode == 0
    known = {entry["name"]: entry for entry in map(json.loads, stdout.splitlines())}
    assert {"fanpage", "ilpost", "mlsum-it"} <= set(known)
    assert known["fanpage"]["hub"] == "ARTeLab/fanpage" and known["fanpage"]["split"] == "test"
    assert {p["system"] for p in known["fanpage"]["published"]} >= {"mBART-large", "BART-IT", "IT5-base"}
    table, _, _ = cli_json("eval", "--list-datasets", env={"COLUMNS": "80"})
    assert "ARTeLab/mlsum-it" in table.stdout.decode()  # never cut


def test_a_reference_field_that_is_not_there_is_one_line_before_any_model_loads(saved_dataset, tmp_path):
    completed, _, stderr = cli_json(
        "eval", "--dataset", str(saved_dataset / "fanpage-like"), "--split", "test", "--text-field", "source",
        "--reference-field", "summary", "--system", "lead3", "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert completed.returncode == 1
    assert stderr.strip().endswith("no field 'summary' for the references (fields: id, source, target)")
    assert not (tmp_path / "run").exists()


def test_a_known_dataset_report_puts_the_published_figures_beside_the_comparable_ones(tmp_path):
    from itnews.evaluate.chart import draw_chart
    from itnews.evaluate.datasets import known_datasets
    from itnews.evaluate.report import render_run_markdown
    from itnews.evaluate.runs import score_run

    rows = corpus_rows()[:3]
    for system in ("lead3", "extractive"):  # predictions as a run writes them
        lines = [{"id": r["id"], "status": "ok", "summary_it": r["source"][:200]} for r in rows]
        (tmp_path / f"{system}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    references = {"it": {r["id"]: r["target"] for r in rows}}
    fanpage = known_datasets()["fanpage"]
    run = score_run(tmp_path, ["lead3", "extractive"], references, [], dataset="fanpage", split="test",
                    rows=3, published=fanpage.published)  # fmt: skip
    markdown = render_run_markdown(run, command="itnews eval", date="2026-12-06")
    compat, unicode = markdown.split("### rouge-score's tokenizer")[1].split("### The project's")
    assert "| mBART-large (published: La Quatra and Cagliero" in compat and "36.50 | 17.40 | 26.20" in compat
    assert "published" not in unicode  # other tokenizer, not comparable
    draw_chart(tmp_path / "chart.png", "fanpage", run.evaluations["compat"], "it", fanpage.published)
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dataset_usage_errors_exit_2(tmp_path):
    with_references = ("--dataset", "x.jsonl", "--system", "lead3", "--references", "r.jsonl")
    for args in (("--dataset", "x.jsonl"), with_references):
        completed, _, stderr = cli_json("eval", *args)
        assert completed.returncode == 2 and "--dataset takes --system" in stderr


def test_a_report_over_a_foreign_file_or_the_dataset_is_refused_before_any_work(tmp_path):
    dataset = tmp_path / "rows.jsonl"
    lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in corpus_rows()[:2]]
    dataset.write_text("".join(lines), encoding="utf-8")
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n", encoding="utf-8")
    before = dataset.read_bytes()
    for target in (notes, dataset):
        completed, _, stderr = cli_json(
            "eval", "--dataset", str(dataset), *DATASET_ARGS, "--system", "lead3",
            "--out", str(tmp_path / "run"), "--report", str(target),
        )  # fmt: skip
        assert completed.returncode == 1 and len(stderr.strip().splitlines()) == 1
        assert stderr.startswith(f"error: {target}:")
    assert notes.read_text(encoding="utf-8") == "# my notes\n" and dataset.read_bytes() == before
    assert not (tmp_path / "run" / "lead3.jsonl").exists()  # refused before any work


def test_a_seq2seq_system_runs_on_ctranslate2_as_batch_does(saved_dataset, tmp_path, tiny_models):
    model = str(tiny_models / "bart")
    completed, stdout, stderr = cli_json(
        "eval", "--dataset", str(saved_dataset / "fanpage-like.parquet"), *DATASET_ARGS, "--limit", "3",
        "--system", model, "--backend", "ctranslate2", "--out", str(tmp_path / "run"), "--json",
        env={"HF_HOME": str(tmp_path / "hf")},
    )  # fmt: skip
    assert completed.returncode == 0, stderr
    assert [s["n"]["it"] for s in json.loads(stdout)["systems"]["unicode"]] == [3, 3]
    records = [json.loads(line) for line in (tmp_path / "run" / f"{file_name(model)}.jsonl").open()]
    assert {r["model"]["summariser"]["backend"] for r in records} == {"ctranslate2"}


def test_a_dataset_whose_every_row_fails_is_one_line_a_row_and_a_report(tmp_path):
    dataset = tmp_path / "binary.jsonl"
    dataset.write_bytes(bytes(range(128, 256)) * 8 + b"\n" + b"\xff\xfe\n")
    completed, _, stderr = cli_json(
        "eval", "--dataset", str(dataset), "--system", "extractive", "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert completed.returncode == 1 and "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("error:")] == [
        f"error: {dataset}:{n}: undecodable line, not UTF-8: invalid start byte" for n in (1, 2)
    ] * 2  # once for each system's run (lead3 and extractive)
    assert "No system produced summaries" in (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
