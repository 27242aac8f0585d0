"""Hostile and unlucky inputs, each beside a good article: one-line errors or error records, the other
inputs' results, no traceback, no hang, bounded memory, no code run from a model folder, no file
destroyed. The bad files are made here, not committed."""

import json
import os
import shutil
import time

import pytest

from itnews.core.record import Record
from itnews.core.sources import Fields, open_source

from .conftest import CORPUS, run_cli

ARTICLE = CORPUS / "articles" / "politica-01.txt"
LEAD = "Il governo ha approvato la legge di bilancio dopo un lungo dibattito in Parlamento"


def cli(*args: str, timeout: int = 120):
    completed = run_cli(*args, timeout=timeout)
    stdout, stderr = completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    assert "Traceback" not in stderr, stderr
    return completed.returncode, stdout, stderr


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().decode("utf-8").splitlines()]


# --- security: a model folder never runs code -----------------------------------------------


@pytest.mark.parametrize("settings", ["config.json", "tokenizer_config.json"])
def test_a_model_folder_asking_for_its_own_code_is_refused_and_nothing_runs(tmp_path, settings):
    folder = tmp_path / "model"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    config = {"model_type": "marian", "d_model": 8}
    (folder / "config.json").write_text(json.dumps(config))
    auto_map = {
        "auto_map": {
            "AutoConfig": "evil.C",
            "AutoModelForSeq2SeqLM": "evil.M",
            "AutoTokenizer": ["evil.T", None],
        }
    }
    (folder / settings).write_text(
        json.dumps({**json.loads((folder / "config.json").read_text()), **auto_map})
    )
    (folder / "model.safetensors").write_bytes(b"")
    status, stdout, stderr = cli("summarise", str(ARTICLE), "--json", "--model", str(folder))
    assert status == 1 and stdout == ""
    [line] = stderr.splitlines()
    assert line.startswith(f"error: {folder}: {settings} asks to run the model's own Python code")
    assert not marker.exists()


@pytest.mark.parametrize("weights", ["pytorch_model.bin", "model.pt"])
def test_a_model_folder_with_only_pickled_weights_is_one_line(tmp_path, weights):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "marian"}))
    (tmp_path / weights).write_bytes(b"\x80\x04K\x01.")
    status, _, stderr = cli("summarise", str(ARTICLE), "--model", str(tmp_path))
    assert status == 1
    [line] = stderr.splitlines()
    assert "only safetensors files are loaded" in line and "pickle" in line


# --- inputs that hang, exhaust memory or take minutes ---------------------------------------


@pytest.mark.parametrize("command", ["summarise", "ingest", "batch"])
def test_a_fifo_or_a_device_is_refused_at_once(tmp_path, command):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "good.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    started = time.monotonic()
    if command == "batch":
        out = tmp_path / "out.jsonl"
        status, _, stderr = cli("batch", str(folder), "--out", str(out), timeout=60)
        records = {r["id"]: r for r in jsonl(out)}
        assert records["good"]["status"] == "ok"
        assert {records["pipe"]["status"], records["zero"]["status"]} == {"error"}
        assert "not a regular file" in records["zero"]["error"]
    else:
        paths = [str(folder / name) for name in ("pipe.txt", "good.txt", "zero.txt")]
        status, stdout, stderr = cli(command, *paths, "/dev/zero", timeout=60)
        assert "politica" in stdout.casefold() or "senato" in stdout.casefold()
        assert len(errors(stderr)) == 3 and all("not a regular file" in e for e in errors(stderr))
    assert status == 1 and time.monotonic() - started < 60


def test_one_huge_paragraph_under_the_limit_is_cleaned_in_seconds():
    from itnews.ingest.clean import MAX_ARTICLE_CHARS, clean_record

    words = ARTICLE.read_text(encoding="utf-8").split()
    paragraph = " ".join(words * (MAX_ARTICLE_CHARS // len(" ".join(words)) + 1))[
        : MAX_ARTICLE_CHARS - 10_000
    ]
    started = time.perf_counter()
    record = clean_record(Record(id="huge", text=paragraph, source="huge.txt"))
    assert time.perf_counter() - started < 10
    assert len(record.sentences) > 500


# --- inputs that were wrongly accepted --------------------------------------------------------


@pytest.mark.parametrize(
    "anchor", ["Sezione {i}", "Le notizie più lette di oggi nella sezione numero {i} del giornale"]
)
def test_a_page_of_menus_and_links_is_not_an_article(tmp_path, anchor):
    links = "".join(f'<li><a href="/s{i}">{anchor.format(i=i)}</a></li>' for i in range(20))
    page = tmp_path / "menu.html"
    page.write_text(
        f"<html><head><script>var a = 1;</script></head><body><nav><ul>{links}</ul></nav>"
        "<script>track();</script></body></html>"
    )
    status, stdout, stderr = cli("summarise", str(page), str(ARTICLE), "--json")
    assert status == 1 and [json.loads(line)["id"] for line in stdout.splitlines()] == ["politica-01"]
    assert errors(stderr) == [
        f"error: {page}: no article text found in the HTML page, only menus or lists of links"
    ]


# --- messages stay one line; outputs carry any name -------------------------------------------


@pytest.mark.parametrize("name", ["a\nb.txt", "tab\there.txt", "esc\x1b[31m.txt"])
def test_control_characters_in_a_name_are_escaped(tmp_path, name):
    bad = tmp_path / name
    bad.write_text("")
    status, _, stderr = cli("summarise", str(bad), str(ARTICLE))
    assert status == 1
    [line] = errors(stderr)
    assert line == f"error: {str(bad).encode('unicode_escape').decode()}: empty input"


def test_undecodable_file_names_and_surrogate_ids_reach_every_output_and_resume(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    name = os.fsdecode(b"caff\xe8.txt")
    shutil.copy(ARTICLE, folder / name)
    status, stdout, _ = cli("summarise", str(folder / name), "--json", "--lang", "it")
    assert status == 0 and json.loads(stdout)["id"] == "caff\\udce8"
    for out in (tmp_path / "a.jsonl", tmp_path / "a.parquet"):
        assert cli("batch", str(folder), "--out", str(out), "--lang", "it")[0] == 0
    assert jsonl(tmp_path / "a.jsonl")[0]["id"] == "caff\\udce8"

    corpus = tmp_path / "ids.jsonl"
    corpus.write_text(f'{{"id": "\\ud800", "text": "{LEAD}"}}\n{{"id": "b", "text": "{LEAD}"}}\n')
    for out in (tmp_path / "b.jsonl", tmp_path / "b.parquet"):
        assert cli("batch", str(corpus), "--out", str(out), "--lang", "it")[0] == 0
        status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
        assert status == 0 and "0 ok, 0 error, 2 skipped" in stderr  # the escaped id reads back as written


def test_an_output_path_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / "out.jsonl").mkdir()
    status, _, stderr = cli("batch", str(CORPUS / "articles"), "--out", str(tmp_path / "out.jsonl"))
    assert status == 1 and errors(stderr) == [
        f"error: {tmp_path / 'out.jsonl'}: exists and is not a regular file (a folder?); choose another --out"
    ]


def test_a_corrupt_parquet_input_is_blamed_on_the_input(tmp_path):
    broken = tmp_path / "news.parquet"
    broken.write_bytes(b"not parquet at all" * 10)
    status, _, stderr = cli("batch", str(broken), "--out", str(tmp_path / "out.jsonl"))
    assert status == 1
    [line] = stderr.splitlines()
    assert line.startswith(f"error: {broken}: cannot be read as PARQUET")


# --- eval -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ['{"id": "a", "summary_it": ' + "9" * 5001 + "}", "[" * 100_000 + "]" * 100_000]
)
def test_eval_lines_python_cannot_build_are_one_line_errors(tmp_path, line):
    refs, preds = tmp_path / "refs.jsonl", tmp_path / "preds.jsonl"
    refs.write_text('{"id": "a", "summary_it": "Il governo approva la legge."}\n')
    preds.write_text('{"id": "a", "summary_it": "Il governo approva."}\n' + line + "\n")
    status, stdout, stderr = cli("eval", "--predictions", str(preds), "--references", str(refs), "--json")
    assert status == 1 and stdout == ""
    [message] = stderr.splitlines()
    assert message.startswith(f"error: {preds}:2: malformed JSON line")


def test_eval_with_surrogate_ids_scores_and_with_no_common_ids_says_so(tmp_path):
    refs, preds = tmp_path / "refs.jsonl", tmp_path / "preds.jsonl"
    refs.write_text('{"id": "\\ud800", "summary_it": "Il governo approva la legge."}\n')
    preds.write_text('{"id": "\\ud800", "summary_it": "Il governo approva."}\n')
    status, stdout, _ = cli("eval", "--predictions", str(preds), "--references", str(refs), "--json")
    assert status == 0 and json.loads(stdout)["n"]["it"] == 1
    for content in ('{"id": "other", "summary_it": "Altro."}\n', ""):
        preds.write_text(content)
        status, stdout, stderr = cli("eval", "--predictions", str(preds), "--references", str(refs))
        assert status == 1 and stdout == ""
        assert errors(stderr) == [
            f"error: {preds}: no id has both a prediction and a reference in {refs}: nothing to score"
        ]


# --- data lost or silently destroyed ----------------------------------------------------------


def test_jsonl_lines_too_large_to_build_are_error_records_and_the_run_goes_on(tmp_path):
    corpus, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps({"id": "a", "text": LEAD}),
        '{"id": "big", "text": ' + "1" * 5001 + "}",
        "[" * 50_000 + "]" * 50_000,
        json.dumps({"id": "d", "text": LEAD}),
    ]
    corpus.write_text("\n".join(lines) + "\n")
    for _ in range(2):  # and again: a resume does not stop at the same line
        status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
        assert status == 1
        records = {r["id"]: r for r in jsonl(out)}
        assert {i for i, r in records.items() if r["status"] == "ok"} == {"a", "d"}
        assert records["c:2"]["error"].startswith(f"{corpus}:2: malformed JSON line: ValueError")
        assert records["c:3"]["error"].startswith(f"{corpus}:3: malformed JSON line: RecursionError")


@pytest.mark.parametrize("good_rows", [8, 12_000])
def test_every_csv_row_before_an_unclosed_quote_is_kept(tmp_path, good_rows):
    table = tmp_path / "news.csv"
    rows = "".join(f"r{n},{LEAD} {n}\n" for n in range(good_rows))
    table.write_text(f'id,text\n{rows}bad,"{LEAD}\nr-after,{LEAD}\n', encoding="utf-8")
    records = list(open_source(str(table), Fields()))
    assert [r.id for r in records[:-1]] == [f"r{n}" for n in range(good_rows)]
    assert all(r.ok for r in records[:-1])
    assert not records[-1].ok and "quote left open" in records[-1].error


@pytest.mark.parametrize(
    "content", [b"le mie note\nsul progetto\n", b"una riga senza a capo", b'{"name": "altro"}\n']
)
def test_an_existing_file_that_is_not_an_output_is_never_overwritten(tmp_path, content):
    notes = tmp_path / "notes.jsonl"
    notes.write_bytes(content)
    status, _, stderr = cli("batch", str(CORPUS / "articles"), "--out", str(notes), "--limit", "2")
    assert status == 1 and notes.read_bytes() == content
    assert errors(stderr) == [
        f"error: {notes}: exists and is not an `itnews batch` output; choose another --out"
    ]


def test_every_input_row_gets_its_own_record_even_when_ids_collide_with_places(tmp_path):
    corpus, out = tmp_path / "col.jsonl", tmp_path / "out.jsonl"
    ids = ["a", f"{corpus}:3", "a", f"{corpus}:3"]
    corpus.write_text("".join(json.dumps({"id": i, "text": f"{LEAD} {n}"}) + "\n" for n, i in enumerate(ids)))
    status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
    assert status == 1 and "batch: 2 ok, 2 error" in stderr
    records = jsonl(out)
    assert len(records) == 4 and len({r["id"] for r in records}) == 4
    assert sorted(r["status"] for r in records) == ["error", "error", "ok", "ok"]


def test_a_failed_final_rewrite_leaves_no_temporary_file_and_fails_loudly(tmp_path, monkeypatch):
    from itnews.core import sinks
    from itnews.core.sinks import JsonlSink

    out = tmp_path / "out.jsonl"
    sink = JsonlSink(out)
    sink.write([Record(id="a", status="error", error="x: first try")])
    sink.write([Record(id="a", summary_it="Riassunto.")])
    before = out.read_bytes()

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        sink.close()
    assert out.read_bytes() == before and not (tmp_path / "out.jsonl.tmp").exists()
    monkeypatch.undo()
    JsonlSink(out).close()  # the next run compacts
    assert [r["id"] for r in jsonl(out)] == ["a"]


def test_a_record_with_any_string_is_written_by_both_sinks(tmp_path):
    import pyarrow.parquet as pq

    from itnews.core.sinks import JsonlSink, ParquetSink

    strange = Record(id="x\ud800y", summary_it="a\x00b\u2028c", warnings=["\udcff"], checks={"k": "\ud801"})
    for sink in (JsonlSink(tmp_path / "o.jsonl"), ParquetSink(tmp_path / "o.parquet")):
        sink.write([strange])
        sink.close()
    [line] = jsonl(tmp_path / "o.jsonl")
    assert line["id"] == "x\ud800y" and line["summary_it"] == "a\x00b\u2028c"  # JSON escapes read back
    [row] = pq.read_table(tmp_path / "o.parquet").to_pylist()
    assert row["id"] == "x\\ud800y" and row["warnings"] == ["\\udcff"]  # Parquet: visible escapes
