"""Batch runs: every input gives one record, kills and Ctrl-C lose nothing, memory stays flat."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from itnews.core.record import BATCH, InputError, Record, json_line, output
from itnews.core.runner import run as run_chain
from itnews.core.sinks import ParquetSink, open_sink
from itnews.core.sources import Fields, open_source
from itnews.ingest.clean import Clean
from itnews.summarise.steps import SummaryOptions, summary_steps

from .conftest import CORPUS, REPO, run_cli

OUTPUT_KEYS = ["id", "status", "summary_it", "summary_en", "error", "model", "checks", "warnings", "timings"]
# One clause and no final full stop, like an Il Post lead: short records, so that 50,000 of them run
# in seconds.
CLAUSES = [
    "il governo ha approvato la legge di bilancio dopo un lungo dibattito in Parlamento",
    "il sindaco ha detto che la città avrà presto una nuova linea della metropolitana",
    "la squadra è tornata in testa alla classifica dopo la vittoria di domenica sera",
    "secondo l'Istat l'inflazione è scesa al 2,1 per cento nel mese di ottobre",
    "gli studenti chiedono più fondi per l'università e per le borse di studio",
    "l'azienda ha chiuso l'anno con un utile in crescita rispetto all'anno precedente",
]


def lead(number: int) -> str:
    return f"Il {number % 28 + 1} ottobre {CLAUSES[number % len(CLAUSES)]}"


def write_corpus(path, size: int, bad_every: int = 0) -> tuple[set[str], set[str]]:
    """A JSONL corpus; every ``bad_every``-th record has an empty text, and the line after the
    first bad one is malformed. Returns the good ids and the bad ids (the malformed line's row id)."""
    good, bad = set(), set()
    with open(path, "w", encoding="utf-8") as file:
        for number in range(size):
            if bad_every and number % bad_every == bad_every - 1:
                file.write(json.dumps({"id": f"n{number}", "text": " "}) + "\n")
                bad.add(f"n{number}")
            else:
                file.write(json.dumps({"id": f"n{number}", "text": lead(number)}, ensure_ascii=False) + "\n")
                good.add(f"n{number}")
        if bad_every:
            file.write('{"id": "unterminated, "text": "Il governo\n')
            bad.add(f"{path.stem}:{size + 1}")
    return good, bad


def read_output(path) -> list[dict]:
    if str(path).endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def by_id(records: list[dict]) -> dict[str, dict]:
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids)), "an id appears twice"
    return {record["id"]: record for record in records}


@pytest.fixture(scope="module")
def extractive():
    return summary_steps(SummaryOptions(method="extractive", languages=("it",)))


def run(extractive, input_path, out, *, fields: Fields | None = None, split="train", **settings):
    source = open_source(str(input_path), fields or Fields(), split)
    sink = open_sink(str(out), source.path)
    return run_chain(source, [Clean(), *extractive], sink, unique_ids=True, **settings)


def start_batch(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "itnews.cli", "batch", *args],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_lines(path, process: subprocess.Popen, minimum: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= minimum:
            return
        time.sleep(0.01)
    raise AssertionError(f"no output lines appeared; stderr: {process.communicate()[1]}")


# --- nothing lost, nothing twice ------------------------------------------------------------


def test_a_killed_run_resumes_with_every_good_id_once_and_bad_ones_as_errors(tmp_path):
    corpus, out = tmp_path / "big.jsonl", tmp_path / "out.jsonl"
    good, bad = write_corpus(corpus, 3000, bad_every=97)
    args = (str(corpus), "--out", str(out), "--method", "extractive", "--lang", "it", "--batch-size", "8")
    process = start_batch(*args)
    wait_for_lines(out, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = out.read_bytes()
    assert 0 < killed.count(b"\n") < len(good | bad), "the kill should land part-way"
    ok_before = {json.loads(line)["id"] for line in killed.splitlines(keepends=True) if line.endswith(b"\n")}

    resumed = run_cli("batch", *args)
    assert resumed.returncode == 1, resumed.stderr  # the bad records failed
    assert f"{len(ok_before)} skipped" in resumed.stderr.decode()
    records = by_id(read_output(out))
    assert set(records) == good | bad
    assert all(records[i]["status"] == "ok" and records[i]["summary_it"] for i in good)
    assert all(records[i]["status"] == "error" for i in bad)
    assert "big.jsonl:3001: malformed JSON line" in records["big:3001"]["error"]


def test_ctrl_c_stops_after_the_batch_and_the_printed_command_resumes(tmp_path):
    corpus, out = tmp_path / "big.jsonl", tmp_path / "out.jsonl"
    good, _ = write_corpus(corpus, 3000)
    process = start_batch(str(corpus), "--out", str(out), "--method", "extractive", "--batch-size", "8")
    wait_for_lines(out, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    written = by_id(read_output(out))  # whole batches only: every line parses
    assert 0 < len(written) < len(good)
    command = re.search(r"resume with: itnews (.+)", stderr).group(1)

    resumed = run_cli(*shlex.split(command))
    assert resumed.returncode == 0, resumed.stderr
    records = by_id(read_output(out))
    assert set(records) == good and {r["status"] for r in records.values()} == {"ok"}


def test_a_torn_last_line_is_dropped_and_retried_errors_are_superseded(extractive, tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    write_corpus(corpus, 4)
    earlier = [
        Record(id="n0", status="ok", summary_it="già fatto"),
        Record(id="n1", status="error", error="model choked"),
    ]
    out.write_bytes(b"".join(json_line(output(r, BATCH)) for r in earlier) + b'{"id": "n2", "sta')

    summary = run(extractive, corpus, out)
    assert (summary.ok, summary.error, summary.skipped) == (3, 0, 1)
    assert out.read_bytes().endswith(b"\n")
    records = by_id(read_output(out))
    assert set(records) == {"n0", "n1", "n2", "n3"}
    assert records["n0"]["summary_it"] == "già fatto"  # kept, not redone
    assert all(r["status"] == "ok" and list(r) == OUTPUT_KEYS for r in records.values())


def test_parquet_output_merges_parts_left_by_a_killed_run(extractive, tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.parquet"
    good, bad = write_corpus(corpus, 40, bad_every=10)
    assert run(extractive, corpus, out, limit=15).ok == 14
    # A killed run: a part written after OUT, never merged, holding a retry of a failed id.
    sink = ParquetSink(out)
    sink.write([Record(id="n9", status="error", error="retried, failed again")])
    assert sorted(p.name for p in (tmp_path / "out.parquet.parts").iterdir()) == ["part-00000000.parquet"]

    summary = run(extractive, corpus, out, batch_size=4)
    assert summary.skipped == 14 and summary.error == len(bad)
    assert not (tmp_path / "out.parquet.parts").exists()
    records = by_id(read_output(out))
    assert set(records) == good | bad
    assert list(records["n0"]) == OUTPUT_KEYS
    assert json.loads(records["n0"]["model"])["summariser"]["name"] == "itnews-extractive"
    assert "empty input" in records["n9"]["error"]  # the latest error wins


# --- fault isolation ------------------------------------------------------------------------


def test_bad_lines_and_records_become_errors_with_their_line_and_the_run_goes_on(cli, tmp_path):
    corpus, out = tmp_path / "mixed.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps({"id": "a", "text": lead(0)}),
        '{"id": "b", "text": "Il governo',  # malformed: line 2
        json.dumps({"id": "c", "text": ""}),
        json.dumps({"id": "d", "body": lead(1)}),
        json.dumps(
            {"id": "e", "text": "The government approved the budget after a long debate in Parliament."}
        ),
        "",  # blank lines are no records
        json.dumps({"text": lead(2)}),  # no id: its row id
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "a", "text": lead(3)}),  # a duplicate id
    ]
    corpus.write_bytes("\n".join(lines).encode() + b"\n" + b'{"id": "g", "text": "citt\xe0"}\n')
    completed = cli("batch", str(corpus), "--out", str(out), "--method", "extractive", "--strict-lang")
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "batch: 2 ok, 7 error, 0 skipped" in completed.stderr
    records = by_id(read_output(out))
    errors = {record_id: r["error"] for record_id, r in records.items() if r["status"] == "error"}
    path = str(corpus)
    assert errors["mixed:2"].startswith(f"{path}:2: malformed JSON line: Unterminated string")
    assert errors["c"] == f"{path}:3: empty input"
    assert errors["d"] == f"{path}:4: no 'text' field (use --text-field)"
    assert errors["e"].startswith(f"{path}:5: language looks like 'en'")
    assert errors["mixed:8"] == f"{path}:8: not a JSON object but list"
    assert errors[f"{path}:9"] == f"{path}:9: duplicate id 'a' (an earlier record has it); ids must be unique"
    assert errors["mixed:10"].startswith(f"{path}:10: undecodable line, not UTF-8")
    assert len(errors) == 7
    assert records["a"]["status"] == records["mixed:7"]["status"] == "ok"
    assert f"error: {path}:2: malformed JSON line" in completed.stderr


@pytest.mark.parametrize("batch_size", [1, 4])
def test_an_article_the_model_chokes_on_becomes_an_error(extractive, tmp_path, monkeypatch, batch_size):
    from itnews.summarise import extractive as extractive_module

    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    write_corpus(corpus, 8)
    real = extractive_module.summarise

    def choke_on_third(sentences, *args):
        if sentences[0] == lead(2):
            raise RuntimeError("model choked")
        return real(sentences, *args)

    monkeypatch.setattr(extractive_module, "summarise", choke_on_third)
    summary = run(extractive, corpus, out, batch_size=batch_size)
    assert (summary.ok, summary.error) == (7, 1)
    assert by_id(read_output(out))["n2"]["error"] == f"{corpus}:3: RuntimeError: model choked"


# --- inputs ---------------------------------------------------------------------------------


def test_a_folder_of_good_and_bad_article_files(extractive, tmp_path):
    articles = tmp_path / "articles"
    (articles / "nested").mkdir(parents=True)
    (articles / ".hidden").mkdir()
    for name in ("politica-01.txt", "politica-03.html"):
        shutil.copy(CORPUS / "articles" / name, articles / name)
    shutil.copy(CORPUS / "articles" / "sport-01.txt", articles / "nested" / "sport-01.txt")
    shutil.copy(CORPUS / "articles" / "sport-02.txt", articles / ".hidden" / "sport-02.txt")
    (articles / "empty.txt").write_text("  \n")
    (articles / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (articles / "notes.md").write_text("Non un articolo.")
    out = tmp_path / "out.jsonl"

    summary = run(extractive, articles, out)
    assert (summary.ok, summary.error) == (3, 2)
    records = by_id(read_output(out))
    assert {i for i, r in records.items() if r["status"] == "ok"} == {
        "politica-01",
        "politica-03",
        "nested/sport-01",
    }
    assert records["empty"]["error"] == f"{articles / 'empty.txt'}: empty input"
    assert "binary file" in records["binary"]["error"]


def test_csv_and_parquet_inputs_with_named_fields_and_a_limit(extractive, tmp_path):
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = tmp_path / "news.csv"
    with table.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["headline", "summary", "category"])
        writer.writerows([["Titolo", lead(n), "italia"] for n in range(5)])
        writer.writerow(["Vuoto", " ", "italia"])
        writer.writerow(["NA", "NA", "italia"])
    with table.open("ab") as file:
        file.write(b"Latin-1,Una citt\xe0 senza auto,italia\n")
    fields = Fields(text="summary", title="headline")
    assert run(extractive, table, tmp_path / "a.jsonl", fields=fields).ok == 6
    records = by_id(read_output(tmp_path / "a.jsonl"))
    assert records["news:1"]["status"] == "ok"  # no id column: <file stem>:<row>, rows from 1
    assert records["news:6"]["error"] == f"{table}:6: empty input"
    assert records["news:7"]["summary_it"] == "NA"  # text as written, not a missing value
    assert records["news:8"]["error"].startswith(f"{table}:8: undecodable bytes")

    parquet = tmp_path / "news.parquet"
    pq.write_table(pa.table({"doc": ["007", "008", "009"], "body": [lead(0), None, lead(2)]}), parquet)
    fields = Fields(text="body", id="doc")
    summary = run(extractive, parquet, tmp_path / "b.parquet", fields=fields, limit=2)
    assert (summary.ok, summary.error) == (1, 1)
    records = by_id(read_output(tmp_path / "b.parquet"))
    assert set(records) == {"007", "008"}
    assert records["008"]["error"] == f"{parquet}:2: no 'body' field (use --text-field)"

    with pytest.raises(InputError, match="no column 'text'.*--text-field"):
        open_source(str(parquet), Fields(), "train")


def test_a_csv_quote_left_open_ends_the_file_with_one_error_record(extractive, tmp_path):
    table = tmp_path / "broken.csv"
    table.write_text(f'id,text\nr1,{lead(0)}\nr2,"{lead(1)}\nr3,{lead(2)}\n', encoding="utf-8")
    summary = run(extractive, table, tmp_path / "out.jsonl")
    assert (summary.ok, summary.error) == (1, 1)  # the row before the fault is kept
    records = by_id(read_output(tmp_path / "out.jsonl"))
    assert records["r1"]["status"] == "ok"
    [record] = [r for r in records.values() if r["status"] == "error"]
    assert "reading stopped" in record["error"] and "quote left open" in record["error"]


def test_save_to_disk_datasets_and_their_splits(extractive, tmp_path):
    from datasets import Dataset, DatasetDict

    dataset = Dataset.from_dict({"id": ["x", "y"], "text": [lead(0), lead(1)], "title": ["Uno", None]})
    dataset.save_to_disk(str(tmp_path / "single"))
    DatasetDict({"test": dataset}).save_to_disk(str(tmp_path / "splits"))

    assert run(extractive, tmp_path / "single", tmp_path / "a.jsonl").ok == 2
    assert set(by_id(read_output(tmp_path / "a.jsonl"))) == {"x", "y"}
    assert run(extractive, tmp_path / "splits", tmp_path / "b.jsonl", split="test").ok == 2
    with pytest.raises(InputError, match="no split 'train'.*--split"):
        open_source(str(tmp_path / "splits"), Fields(), "train")


def test_replacement_characters_get_one_outcome_from_every_input_kind(extractive, tmp_path):
    """A few U+FFFD: kept, with a warning that counts them; mostly U+FFFD: an error record. The same
    from article files, JSONL, CSV, Parquet and a saved dataset."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    texts = {
        "damaged": "Il sindaco ha detto che la citt\ufffd avr\ufffd presto una nuova linea del tram.",
        "garbage": "\ufffd" * 60 + " Il sindaco.",
    }
    folder = tmp_path / "files"
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    with (tmp_path / "rows.jsonl").open("w", encoding="utf-8") as file:
        file.writelines(json.dumps({"id": name, "text": text}) + "\n" for name, text in texts.items())
    with (tmp_path / "rows.csv").open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([["id", "text"], *texts.items()])
    columns = {"id": list(texts), "text": list(texts.values())}
    pq.write_table(pa.table(columns), tmp_path / "rows.parquet")
    Dataset.from_dict(columns).save_to_disk(str(tmp_path / "dataset"))

    outcomes = set()
    for number, source in enumerate(["files", "rows.jsonl", "rows.csv", "rows.parquet", "dataset"]):
        out = tmp_path / f"out{number}.jsonl"
        run(extractive, tmp_path / source, out)
        records = {record["id"].removesuffix(".txt"): record for record in read_output(out)}
        damaged, garbage = records["damaged"], records["garbage"]
        assert damaged["status"] == "ok" and "citt\ufffd" in damaged["summary_it"], source
        (warning,) = [w for w in damaged["warnings"] if "U+FFFD" in w]
        assert garbage["status"] == "error", source
        outcomes.add((warning, garbage["error"].split(": ", 1)[1]))
    assert len(outcomes) == 1
    ((warning, error),) = outcomes
    assert warning.startswith("2 replacement characters (U+FFFD) in the text")
    assert error.startswith("60 replacement characters (U+FFFD), 86% of the text")


def test_an_input_that_is_neither_a_file_nor_a_dataset_is_one_error_line(cli, tmp_path):
    out = str(tmp_path / "out.jsonl")
    missing = cli("batch", str(tmp_path / "missing.jsonl"), "--out", out)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: {tmp_path / 'missing.jsonl'}: no such file or directory\n",
    )
    offline = cli("batch", "nobody/no-such-dataset", "--out", out)
    assert offline.returncode == 1
    assert offline.stderr.startswith(
        "error: nobody/no-such-dataset: no such file or directory, and not a loadable"
    )
    assert not (tmp_path / "out.jsonl").exists()


def test_the_output_never_overwrites_the_input_or_a_foreign_file(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, 2)
    source = open_source(str(corpus), Fields())
    with pytest.raises(InputError, match="is an input or another output of this run"):
        open_sink(str(corpus), source.path)
    with pytest.raises(ValueError, match=r"\.jsonl or \.parquet"):
        open_sink(str(tmp_path / "out.csv"), source.path)
    (tmp_path / "other.jsonl").write_text('{"name": "not ours"}\n')
    with pytest.raises(InputError, match="not an `itnews batch` output"):
        open_sink(str(tmp_path / "other.jsonl"), source.path)


# --- scale and models -----------------------------------------------------------------------


def test_peak_memory_does_not_grow_with_the_corpus(tmp_path):
    """Each size in its own process, which reports its own peak RSS on its summary line."""
    peaks = {}
    for size in (5_000, 50_000):
        corpus = tmp_path / f"c{size}.jsonl"
        write_corpus(corpus, size)
        completed = run_cli(
            "batch",
            str(corpus),
            "--out",
            str(tmp_path / f"o{size}.jsonl"),
            "--method",
            "extractive",
            "--lang",
            "it",
        )
        stderr = completed.stderr.decode()
        assert completed.returncode == 0, stderr
        assert f"batch: {size} ok" in stderr
        peaks[size] = float(re.search(r"peak memory (\d+) MB", stderr).group(1))
    assert peaks[50_000] < peaks[5_000] + 40, peaks


def test_tiny_seq2seq_models_give_both_summaries_for_every_ok_record(cli, tiny_models, tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.parquet"
    with corpus.open("w", encoding="utf-8") as file:
        for record in ({"id": "a", "text": lead(0)}, {"id": "b", "text": ""}, {"id": "c", "text": lead(1)}):
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
    models = ("--model", str(tiny_models / "t5"), "--translator", str(tiny_models / "marian"))
    completed = cli("batch", str(corpus), "--out", str(out), *models, "--batch-size", "1")
    assert completed.returncode == 1, completed.stderr  # "b" is empty
    records = by_id(read_output(out))
    assert {i for i, r in records.items() if r["status"] == "ok"} == {"a", "c"}
    for record_id in ("a", "c"):
        assert records[record_id]["summary_it"] and records[record_id]["summary_en"]
        assert json.loads(records[record_id]["model"])["translator"]["id"] == str(tiny_models / "marian")
