"""Hostile and unlucky inputs, each beside a good article: one-line errors or error records, the other
inputs' results, no traceback, no hang, bounded memory, no code run from a model folder, no file
destroyed. The bad files are made here, not committed."""

import json
import os
import shutil
import time

import pytest

from itnews.core.record import BATCH, Record, json_line, output
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
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
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


# --- outputs: nothing clobbered, nothing followed, one run at a time (issue 22) ----------------


def corpus_with_a_failure(tmp_path):
    """Two records, one failing: a second run retries it, so its output is rewritten at the end."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"id": "a", "text": LEAD}) + "\n" + json.dumps({"id": "b", "text": " "}) + "\n"
    )
    return corpus


@pytest.mark.parametrize(
    "command",
    [
        ("digest", "{news}", "--out", "{news}"),
        ("digest", "{news}", "--out", "{other}"),
        ("digest", "{news}", "--report", "{news}"),
        ("digest", "{news}", "--report", "{other}"),
        ("eval", "--system", "lead1", "--references", "{refs}", "--report", "{refs}"),
        ("eval", "--system", "lead1", "--references", "{refs}", "--report", "{other}"),
        ("batch", "{news}", "--out", "{link}"),
    ],
)
def test_no_command_writes_over_an_input_or_a_file_it_did_not_write(tmp_path, command):
    news, refs, other = tmp_path / "news.jsonl", tmp_path / "refs.jsonl", tmp_path / "notes.html"
    news.write_text(json.dumps({"id": "a", "text": LEAD}) + "\n")
    refs.write_bytes((CORPUS / "references.jsonl").read_bytes())
    other.write_text("# le mie note\n")
    os.link(news, tmp_path / "link.jsonl")  # a hard link to the input is the input
    before = {path: path.read_bytes() for path in (news, refs, other)}
    paths = {"news": news, "refs": refs, "other": other, "link": tmp_path / "link.jsonl"}
    language = ("--lang", "it") if command[0] != "eval" else ()
    status, _, stderr = cli(*(part.format(**paths) for part in command), *language)
    assert status == 1 and {path: path.read_bytes() for path in before} == before
    [line] = errors(stderr)
    assert "is an input or another output of this run" in line or "exists and is not" in line


def test_the_earlier_output_of_the_same_command_is_replaced_whole(tmp_path):
    news, out, page = tmp_path / "news.jsonl", tmp_path / "stories.jsonl", tmp_path / "digest.html"
    news.write_text(json.dumps({"id": "a", "text": LEAD}) + "\n")
    for _ in range(2):  # the second run finds its own files there and rewrites them
        status, _, stderr = cli("digest", str(news), "--out", str(out), "--report", str(page), "--lang", "it")
        assert status == 0, stderr
    assert len(jsonl(out)) == 1 and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        "digest.html", "news.jsonl", "stories.jsonl"
    ]  # fmt: skip


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_files_planted_beside_the_output_are_never_followed_or_deleted(tmp_path, suffix):
    corpus, out = corpus_with_a_failure(tmp_path), tmp_path / f"out{suffix}"
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (tmp_path / f"out{suffix}.tmp").symlink_to(victim)  # the old fixed temporary names
    (tmp_path / f".out{suffix}.tmp").write_bytes(b"someone else's")
    for _ in range(2):  # the second run retries "b" and rewrites OUT through a temporary file
        status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
        assert status == 1 and len(errors(stderr)) == 1
    assert (
        victim.read_bytes() == b"precious"
        and (tmp_path / f".out{suffix}.tmp").read_bytes() == b"someone else's"
    )
    assert (tmp_path / f"out{suffix}.tmp").is_symlink()

    out.unlink()
    lock = tmp_path / f".out{suffix}.lock"
    lock.unlink()
    lock.symlink_to(victim)  # a planted lock is refused, not opened through
    status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
    assert status == 1 and victim.read_bytes() == b"precious" and not out.exists()
    [line] = errors(stderr)
    assert line.startswith(f"error: {lock}: cannot open the lock file")


@pytest.mark.parametrize("planted", ["notes.txt", "link"])
def test_a_parts_folder_holding_anything_else_is_refused_and_kept(tmp_path, planted):
    corpus, out = corpus_with_a_failure(tmp_path), tmp_path / "out.parquet"
    parts = tmp_path / "out.parquet.parts"
    if planted == "link":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "part-00000000.parquet").write_bytes(b"mine")
        parts.symlink_to(elsewhere)
    else:
        parts.mkdir()
        (parts / planted).write_bytes(b"mine")
    status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
    assert status == 1 and not out.exists()
    assert [p.read_bytes() for p in parts.iterdir()] == [b"mine"]
    [line] = errors(stderr)
    assert line.startswith(f"error: {parts}: ")


@pytest.mark.parametrize(
    "content",
    [
        b'{"id": "x", "text": "una riga senza a capo',  # one unfinished line, no output's
        b'{"id": "a", "status": "ok"}\n{"nota": "mia"}\n',  # id and status, not the batch keys
        json_line(output(Record(id="a", summary_it="Riassunto."), BATCH)) + b"le mie note\n",
        json_line(output(Record(id="a", summary_it="Riassunto."), BATCH)) + b'{"id": "x", "nota": 1}\n',
    ],
)
def test_a_jsonl_out_is_ours_only_if_every_complete_line_is_a_batch_record(tmp_path, content):
    corpus, out = corpus_with_a_failure(tmp_path), tmp_path / "out.jsonl"
    out.write_bytes(content)
    status, _, stderr = cli("batch", str(corpus), "--out", str(out), "--lang", "it")
    assert status == 1 and out.read_bytes() == content
    assert errors(stderr) == [
        f"error: {out}: exists and is not an `itnews batch` output; choose another --out"
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_second_run_on_the_same_output_is_refused_and_the_first_loses_nothing(tmp_path, suffix):
    import subprocess
    import sys

    from .conftest import REPO

    corpus, out = tmp_path / "big.jsonl", tmp_path / f"out{suffix}"
    ids = [f"n{number}" for number in range(2000)]
    corpus.write_text("".join(json.dumps({"id": i, "text": f"{LEAD} {i}"}) + "\n" for i in ids))
    args = [sys.executable, "-m", "itnews.cli", "batch", str(corpus), "--out", str(out), "--lang", "it"]
    first = subprocess.Popen(
        [*args, "--batch-size", "4"], cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    written = out if suffix == ".jsonl" else tmp_path / "out.parquet.parts"
    deadline = time.monotonic() + 60
    while not written.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    status, _, stderr = cli(*args[3:])
    assert time.monotonic() - started < 30 and first.poll() is None, "the first run should still be going"
    assert status == 1
    lock = tmp_path / f".out{suffix}.lock"
    assert errors(stderr) == [f"error: {out}: is being written by another run (lock {lock})"]
    assert first.wait(timeout=300) == 0, first.stderr.read()
    if suffix == ".jsonl":
        records = jsonl(out)
    else:
        import pyarrow.parquet as pq

        records = pq.read_table(out).to_pylist()
    assert sorted(r["id"] for r in records) == sorted(ids) and {r["status"] for r in records} == {"ok"}


def test_links_out_of_a_batch_folder_are_refused_unless_asked_for(tmp_path):
    folder, secret = tmp_path / "in", tmp_path / "secret.txt"
    folder.mkdir()
    secret.write_text(f"{LEAD}. Segreto di Stato numero sette.\n", encoding="utf-8")
    shutil.copy(ARTICLE, folder / "good.txt")
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "twin.txt").symlink_to(folder / "good.txt")  # a link inside the folder is read
    out = tmp_path / "out.jsonl"
    status, _, stderr = cli("batch", str(folder), "--out", str(out), "--lang", "it")
    records = {r["id"]: r for r in jsonl(out)}
    assert status == 1 and records["good"]["status"] == records["twin"]["status"] == "ok"
    assert records["passwd"]["status"] == "error" and "Segreto" not in out.read_text(encoding="utf-8")
    assert errors(stderr) == [
        f"error: {folder / 'passwd.txt'}: a link to {secret}, outside the folder; --follow-symlinks reads it"
    ]
    followed = tmp_path / "followed.jsonl"
    status, _, _ = cli("batch", str(folder), "--out", str(followed), "--lang", "it", "--follow-symlinks")
    assert status == 0 and {r["status"] for r in jsonl(followed)} == {"ok"}


@pytest.mark.parametrize(
    ("settings", "megabytes"),
    [
        ('compression="zstd"', 300),  # the cell in the dictionary page (pyarrow's default)
        ('compression="zstd", use_dictionary=False', 300),  # in a data page, among the other rows' cells
        ('compression="gzip", data_page_version="2.0"', 300),
        # pyarrow's default codec: a block, decompressed as a stream by itnews (in Python: 3 s per 100 MB)
        ('compression="snappy"', 60),
    ],
)
def test_an_oversized_parquet_cell_is_one_error_record_in_bounded_memory(tmp_path, settings, megabytes):
    import re
    import subprocess
    import sys

    table = tmp_path / "news.parquet"
    # Written by another process: a child's peak memory starts from its parent's at the fork.
    subprocess.run([sys.executable, "-c", f"""
import pyarrow as pa, pyarrow.parquet as pq
schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("words", pa.int64())])
with pq.ParquetWriter({str(table)!r}, schema, {settings}) as writer:
    writer.write_table(pa.table({{"id": ["a", "b"], "text": [{LEAD!r}, {LEAD!r} + " due"], "words": [1, 2]}}))
    big = "a" * {megabytes} * 2**20  # in the same row group (and page) as x, y and z
    writer.write_table(pa.table({{
        "id": ["x", "big", "y", "z"], "text": [{LEAD!r} + " x", big, {LEAD!r} + " y", {LEAD!r}],
        "words": [3, 4, 5, 6],
    }}))
    writer.write_table(pa.table({{"id": ["c"], "text": [{LEAD!r} + " tre"], "words": [7]}}))
"""], check=True)  # fmt: skip
    small = megabytes * 2**20 / 20 if "snappy" in settings else 1_000_000  # Snappy compresses 20:1 at most
    assert table.stat().st_size < small
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    # Through a small Python: a child's peak memory starts from its parent's (vfork, exec), and
    # the test process may be large by now.
    relay = [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"]
    command = [sys.executable, "-m", "itnews.cli", "batch", str(table), "--out", str(out), "--lang", "it"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    completed = subprocess.run([*relay, *command], capture_output=True, env=env, timeout=120, check=False)
    status, stderr = completed.returncode, completed.stderr.decode("utf-8")
    assert "Traceback" not in stderr, stderr
    elapsed = time.monotonic() - started
    peak = float(re.search(r"peak memory (\d+) MB", stderr).group(1))
    print(f"oversized Parquet cell ({settings}): {elapsed:.1f} s, peak memory {peak:.0f} MB")
    records = {r["id"]: r for r in jsonl(out)}
    assert status == 1 and set(records) == {"a", "b", "x", "news:4", "y", "z", "c"}
    assert {i for i, r in records.items() if r["status"] == "ok"} == {"a", "b", "x", "y", "z", "c"}
    assert [records[i]["summary_it"].rstrip(".")[-2:] for i in "xy"] == [" x", " y"]  # rows kept in line
    [line] = errors(stderr)
    assert line == f"error: {table}:4: column 'text': a cell over 10 MB ({megabytes} MB), not read"
    assert peak < 600 and elapsed < 60  # reading the cell took 3.5 GB for a 500 MB one


@pytest.mark.parametrize(
    "settings",
    [
        {"compression": "zstd"},
        {"compression": "zstd", "use_dictionary": False, "data_page_size": 512},  # many pages
        {"compression": "gzip", "data_page_version": "2.0"},
        {"compression": "none", "use_dictionary": False, "data_page_version": "2.0"},
        {"compression": "snappy"},  # a block format, decompressed as a stream by itnews
        {"compression": "lz4", "use_dictionary": False},  # Parquet's LZ4_RAW, likewise
        {
            "compression": "brotli",
            "column_encoding": {"text": "DELTA_LENGTH_BYTE_ARRAY"},
            "use_dictionary": False,
        },
    ],
)
def test_parquet_rows_beside_a_large_cell_keep_their_values_and_nulls_in_line(tmp_path, settings):
    """The page reader at a small limit, so that the large cell is small: every row is its own
    values or a reason, the large cell's row always a reason."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from itnews.core.parquet_pages import parquet_rows

    texts = [f"testo {n}" if n % 7 else None for n in range(300)]
    texts[150] = "x" * 5000
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": [f"r{n}" for n in range(300)], "text": texts}), path, **settings)
    rows = list(parquet_rows(str(path), ["id", "text"], 4000))  # the ids: 2.4 KB
    assert len(rows) == 300 and isinstance(rows[150], str)
    read = {n for n, row in enumerate(rows) if isinstance(row, dict)}
    assert all(rows[n] == {"id": f"r{n}", "text": texts[n]} for n in read)
    if settings.get("column_encoding"):  # DELTA_*: rows in the large page are reasons
        assert 150 not in read and {rows[n] for n in set(range(300)) - read} == {rows[150]}
    else:
        assert read == set(range(300)) - {150}
        assert rows[150] == "column 'text': a cell over 0 MB (0 MB), not read"  # sizes in whole MB


@pytest.mark.parametrize("codec", ["snappy", "lz4_raw"])
def test_block_codecs_decompress_as_streams_what_pyarrow_compresses_and_refuse_a_corrupt_block(codec):
    import io
    import random

    import pyarrow as pa

    from itnews.core.block_codecs import lz4_stream, snappy_stream

    stream = {"snappy": snappy_stream, "lz4_raw": lz4_stream}[codec]
    rng = random.Random(7)
    words = [bytes(rng.choice(b"abcdefghij ") for _ in range(rng.randint(1, 9))) for _ in range(300)]
    samples = [
        b"",
        b"a",
        b"ab" * 3_000_000,  # copies that overlap what they write
        b"a" * 5_000_000,  # LZ4: one match of 5 MB, handed on in pieces
        rng.randbytes(200_000),  # literals only
        b" ".join(rng.choice(words) for _ in range(200_000)) + rng.randbytes(70_000) + b"q" * 100_000,
    ]
    for data in samples:
        compressed = pa.Codec(codec).compress(data, asbytes=True)
        decoded, pieces = stream(io.BytesIO(compressed), len(data)), []
        while piece := decoded.read(1 << 16):
            pieces.append(piece)
        assert b"".join(pieces) == data
    corrupt = bytearray(pa.Codec(codec).compress(samples[5], asbytes=True))
    corrupt[len(corrupt) // 2 :] = b"\xff" * (len(corrupt) - len(corrupt) // 2)  # offsets out of range
    with pytest.raises(ValueError):
        stream(io.BytesIO(bytes(corrupt)), len(samples[5])).read()


def test_an_oversized_csv_cell_is_one_error_record_and_reading_goes_on(tmp_path):
    table = tmp_path / "news.csv"
    big = ('Una riga lunga, con ""virgolette"".\n' * 400_000)[: 11 * 2**20]  # over 10 MB, quoted
    with table.open("w", encoding="utf-8") as file:
        file.write(f'id,text\nr1,{LEAD} uno\nbig,"{big}"\n')
        file.writelines(f"r{n},{LEAD} {n}\n" for n in range(2, 50))
    out = tmp_path / "out.jsonl"
    status, _, stderr = cli("batch", str(table), "--out", str(out), "--lang", "it")
    records = {r["id"]: r for r in jsonl(out)}
    assert status == 1 and len(records) == 50
    assert {i for i, r in records.items() if r["status"] == "ok"} == {f"r{n}" for n in range(1, 50)}
    [line] = errors(stderr)
    assert line == f"error: {table}:2: row longer than 10 MB (from line 3)" and "quote" not in line
