"""The pipeline's shape: a new step joins every command's chain, and what it writes on the record
reaches every output with no other edit; the output schema is derived from the record."""

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from itnews.cli import app
from itnews.core.record import BATCH, INGEST, SUMMARY, Record, output, parquet_schema, view_fields
from itnews.core.steps import Step, apply
from itnews.summarise import steps as summarise

from .conftest import CORPUS, EVAL_CORPUS

ARTICLES = sorted((CORPUS / "articles").glob("*.txt"))[:3]


class SummaryLength(Step):
    """A check a later issue might add: the summary's length, in the record's free ``checks``."""

    runs = 0

    def process(self, records: list[Record]) -> None:
        SummaryLength.runs += len(records)
        for record in records:
            record.checks["summary_words"] = len(record.summary_it.split())


@pytest.fixture
def with_new_step(monkeypatch):
    chain_of = summarise.summary_steps
    monkeypatch.setattr(summarise, "summary_steps", lambda options: [*chain_of(options), SummaryLength()])
    SummaryLength.runs = 0


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_a_new_step_runs_in_summarise_batch_and_eval_and_its_field_reaches_every_output(
    with_new_step, tmp_path
):
    printed = invoke("summarise", *map(str, ARTICLES), "--json", "--lang", "it")
    records = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [r["checks"]["summary_words"] for r in records] == [len(r["summary_it"].split()) for r in records]

    folder = tmp_path / "articles"
    folder.mkdir()
    for article in ARTICLES:
        (folder / article.name).write_bytes(article.read_bytes())
    for out in (tmp_path / "out.jsonl", tmp_path / "out.parquet"):
        invoke("batch", str(folder), "--out", str(out), "--lang", "it")
        if out.suffix == ".jsonl":
            rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        else:
            rows = [{**row, "checks": json.loads(row["checks"])} for row in pq.read_table(out).to_pylist()]
        assert sorted(r["checks"]["summary_words"] for r in rows) == sorted(
            r["checks"]["summary_words"] for r in records
        )

    SummaryLength.runs = 0
    invoke(*EVAL_CORPUS, "--report", str(tmp_path / "report.md"), "--json")
    articles = sum(1 for _ in (CORPUS / "index.jsonl").open(encoding="utf-8"))
    assert SummaryLength.runs == 2 * articles  # both systems, every corpus article


def test_the_outputs_are_views_of_the_record():
    assert view_fields(BATCH) == (
        "id",
        "status",
        "summary_it",
        "summary_en",
        "error",
        "model",
        "checks",
        "warnings",
        "timings",
    )
    assert set(view_fields(SUMMARY)) == set(view_fields(BATCH)) - {"status", "error"} | {"method"}
    assert set(view_fields(INGEST)) == {"id", "title", "text", "sentences", "lang", "source", "warnings"}
    assert parquet_schema().names == list(view_fields(BATCH))
    assert str(parquet_schema().field("warnings").type) == "list<item: string>"
    assert str(parquet_schema().field("checks").type) == "string"  # JSON text: keys vary by step
    record = Record(id="a", checks={"x": 1})
    assert output(record, BATCH)["checks"] == {"x": 1}


def test_a_failing_step_fails_only_its_record_and_later_steps_pass_errors_through():
    class Choke(Step):
        def process(self, records):
            if any(r.id == "b" for r in records):
                raise RuntimeError("choked")
            for r in records:
                r.summary_it = "ok"

    class Mark(Step):
        def process(self, records):
            for r in records:
                r.checks["seen"] = True

    batch = [Record(id=i, source=f"f.jsonl:{n}") for n, i in enumerate("abc", 1)]
    apply([Choke(), Mark()], batch)
    assert [r.status for r in batch] == ["ok", "error", "ok"]
    assert batch[1].error == "f.jsonl:2: RuntimeError: choked" and batch[1].checks == {}
    assert batch[0].checks == batch[2].checks == {"seen": True}
