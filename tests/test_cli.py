"""The CLI as a user sees it: output records, exit statuses, one-line errors, no tracebacks."""

import json

from itnews.ingest.clean import read_article
from itnews.summarise.extractive import DEFAULT_WORDS, word_count

from .conftest import CORPUS

ARTICLE = CORPUS / "articles" / "politica-01.txt"
SUMMARY_KEYS = {"id", "summary_it", "summary_en", "method", "model", "checks", "warnings", "timings"}


def test_summarise_corpus_article_json(cli):
    completed = cli("summarise", str(ARTICLE), "--json")
    assert completed.returncode == 0, completed.stderr
    [line] = completed.stdout.splitlines()
    record = json.loads(line)
    assert set(record) == SUMMARY_KEYS
    assert record["id"] == "politica-01" and record["method"] == "extractive"
    summary = record["summary_it"]
    sentences = read_article(str(ARTICLE)).sentences
    half_sentence = max(word_count(s) for s in sentences) / 2
    assert summary and abs(word_count(summary) - DEFAULT_WORDS) <= half_sentence
    chosen = [s for s in sentences if s in summary]
    assert " ".join(chosen) == summary  # made only of the article's own sentences, in order
    assert record["summary_en"] is None
    assert any("translat" in w for w in record["warnings"])


def test_summarise_readable_output_and_budget(cli):
    completed = cli("summarise", str(ARTICLE), "--method", "extractive", "--words", "30", "--lang", "it")
    assert completed.returncode == 0
    assert "IT: " in completed.stdout and "EN: " not in completed.stdout
    summary = completed.stdout.split("IT: ", 1)[1].splitlines()[0]
    half_sentence = max(word_count(s) for s in read_article(str(ARTICLE)).sentences) / 2
    assert abs(word_count(summary) - 30) <= half_sentence
    assert completed.stderr == ""  # extractive by choice and no English asked for: nothing to warn about


def test_cli_default_length_is_the_extractive_default():
    import inspect

    from itnews.cli.batch import batch
    from itnews.cli.summarise import summarise

    for command in (summarise, batch):
        assert inspect.signature(command).parameters["words"].default == DEFAULT_WORDS


def test_lead_method(cli):
    completed = cli("summarise", str(ARTICLE), "--json", "--method", "lead2")
    record = json.loads(completed.stdout)
    assert record["summary_it"] == " ".join(read_article(str(ARTICLE)).sentences[:2])


def test_bad_inputs_give_one_line_errors_and_the_rest_still_runs(cli, tmp_path):
    empty = tmp_path / "vuoto.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "dati.txt"
    binary.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    missing = tmp_path / "manca.txt"
    completed = cli("summarise", str(missing), str(ARTICLE), str(tmp_path), str(empty), str(binary), "--json")
    assert completed.returncode == 1
    assert [json.loads(line)["id"] for line in completed.stdout.splitlines()] == ["politica-01"]
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {missing}: no such file",
        f"error: {tmp_path}: is a directory, expected a file (use `itnews batch DIR` for folders)",
        f"error: {empty}: empty input",
        f"error: {binary}: binary file (contains NUL bytes), not text",
    ]
    assert "Traceback" not in completed.stderr


def test_records_come_out_in_input_order(cli):
    paths = sorted((CORPUS / "articles").glob("*.txt"))[:4]
    completed = cli("summarise", *map(str, reversed(paths)), "--json", "--lang", "it")
    assert [json.loads(line)["id"] for line in completed.stdout.splitlines()] == [
        p.stem for p in reversed(paths)
    ]


def test_non_italian_warns_or_fails_with_strict_lang(cli, tmp_path):
    english = tmp_path / "english.txt"
    english.write_text(
        "The city council approved the new mobility plan last night. Three tram lines will open by 2030."
    )
    completed = cli("summarise", str(english), "--lang", "it")
    assert completed.returncode == 0
    assert f"warning: {english}: language looks like 'en'" in completed.stderr
    strict = cli("summarise", str(english), "--strict-lang")
    assert strict.returncode == 1
    assert strict.stderr.startswith(f"error: {english}: language looks like 'en'")
    assert len(strict.stderr.splitlines()) == 1


def test_usage_errors_exit_2(cli):
    assert cli("summarise", str(ARTICLE), "--lang", "de").returncode == 2
    assert cli("summarise", str(ARTICLE), "--method", "textrank").returncode == 2
    assert cli("summarise").returncode == 2


def test_stdin(cli):
    completed = cli("summarise", "-", "--json", "--lang", "it", stdin=ARTICLE.read_bytes())
    assert completed.returncode == 0
    assert json.loads(completed.stdout)["id"] == "stdin"


def test_ingest_json_record(cli):
    completed = cli("ingest", str(ARTICLE), "--json")
    assert completed.returncode == 0
    record = json.loads(completed.stdout)
    assert set(record) == {"id", "title", "text", "sentences", "lang", "source", "warnings"}
    assert record["lang"] == "it" and record["title"] and len(record["sentences"]) > 5


def test_oversized_article_is_one_line_error(cli, tmp_path):
    huge = tmp_path / "enorme.txt"
    text = ARTICLE.read_text(encoding="utf-8")
    huge.write_text(text * (5_000_000 // len(text)), encoding="utf-8")  # a 5 MB "article"
    completed = cli("summarise", str(huge))
    assert completed.returncode == 1
    assert completed.stderr.startswith(f"error: {huge}: article too long")
    assert "Traceback" not in completed.stderr
