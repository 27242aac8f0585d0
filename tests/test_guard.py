"""The faithfulness guard as a step of every chain, `itnews check`, and its figures in `itnews eval`."""

import json

import pytest

from itnews.core.record import Record
from itnews.facts.guard import Guard, most_faithful
from itnews.ingest.clean import read_article

from .conftest import CORPUS

ARTICLE = CORPUS / "articles" / "politica-01.txt"


def summarised(summary_it: str | None = None, summary_en: str | None = None) -> Record:
    record = read_article(str(ARTICLE))
    record.summary_it, record.summary_en = summary_it, summary_en
    return record


def test_the_guard_reports_each_unsupported_fact_and_warns():
    record = summarised(
        "Il Senato ha approvato la legge di bilancio da 28,5 miliardi di euro con 190 voti favorevoli.",
        "The Senate passed the 28.5 billion euro budget.",
    )
    Guard()([record])
    checks = record.checks["faithfulness"]
    assert checks["it"]["facts"] >= 3
    assert checks["it"]["unsupported"] == [{"text": "190", "kind": "number", "count": 1}]
    assert checks["en"]["unsupported"] == []
    assert record.warnings == ["it summary: number '190' is not in the article"]


def test_a_missing_summary_is_null_and_a_failed_record_is_left_alone():
    record = summarised("Il Senato ha approvato la legge di bilancio.")
    failed = Record(id="x", source="x.txt").fail("x.txt", "empty input")
    Guard()([record, failed])
    assert record.checks["faithfulness"]["en"] is None and record.checks["faithfulness"]["it"]["facts"] >= 1
    assert failed.checks == {}


def test_rerank_keeps_the_most_faithful_candidate_and_breaks_ties_by_score():
    record = read_article(str(ARTICLE))
    invented = ("Il Senato approva la manovra da 38 miliardi.", -0.1)
    faithful_low = ("Il Senato approva la manovra da 28,5 miliardi.", -0.9)
    faithful_high = ("Il Senato approva la legge di bilancio da 28,5 miliardi.", -0.5)
    assert most_faithful([invented, faithful_low, faithful_high], record) == faithful_high[0]
    assert most_faithful([invented], record) == invented[0]


def test_summarise_carries_the_guard_and_guard_off_drops_it(cli):
    flagged = json.loads(cli("summarise", str(ARTICLE), "--json", "--lang", "it").stdout)
    assert flagged["checks"]["faithfulness"]["it"]["unsupported"] == []  # copied sentences: 0 flags
    assert flagged["checks"]["faithfulness"]["en"] is None
    off = json.loads(cli("summarise", str(ARTICLE), "--json", "--lang", "it", "--guard", "off").stdout)
    assert off["checks"] == {}
    assert cli("summarise", str(ARTICLE), "--guard", "maybe").returncode == 2


def test_rerank_runs_with_a_seq2seq_model(cli, tiny_models):
    completed = cli(
        "summarise",
        str(ARTICLE),
        "--json",
        "--lang",
        "it",
        "--model",
        str(tiny_models / "bart"),
        "--guard",
        "rerank",
    )
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert record["summary_it"] and "faithfulness" in record["checks"]


def write_summaries(path, records) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_check_is_a_gate_exit_0_when_every_fact_is_supported_1_otherwise(cli, tmp_path):
    good = write_summaries(
        tmp_path / "good.jsonl",
        [
            {
                "id": "politica-01",
                "summary_it": "Il Senato ha approvato la legge di bilancio da 28,5 miliardi di euro.",
            }
        ],
    )
    passed = cli("check", str(ARTICLE), "--summaries", good, "--json")
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout) == {
        "id": "politica-01",
        "it": {"facts": json.loads(passed.stdout)["it"]["facts"], "unsupported": []},
        "en": None,
    }
    bad = write_summaries(
        tmp_path / "bad.jsonl",
        [
            {"id": "politica-01", "summary_en": "The Senate passed the 28.5 million euro budget."},
            {"id": "missing-article", "summary_it": "Niente."},
        ],
    )
    failed = cli("check", str(ARTICLE), "--summaries", bad, "--json")
    assert failed.returncode == 1
    [line] = failed.stdout.splitlines()
    assert json.loads(line)["en"]["unsupported"] == [
        {"text": "28.5 million euro", "kind": "amount", "count": 1}
    ]
    assert failed.stderr.splitlines() == [
        f"error: {bad}: id 'missing-article' has no article among the files given"
    ]


@pytest.mark.parametrize(
    "content", ['{"id": "politica-01", "summary_it": \n', '{"id": "politica-01", "summary_it": 3}\n']
)
def test_check_bad_summaries_are_one_line_errors(cli, tmp_path, content):
    summaries = tmp_path / "s.jsonl"
    summaries.write_text(content, encoding="utf-8")
    completed = cli("check", str(ARTICLE), "--summaries", str(summaries))
    assert completed.returncode == 1 and completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith(f"error: {summaries}:1: ")
    assert cli("check", str(ARTICLE)).returncode == 2  # --summaries is required


def test_eval_reports_the_guard_per_system_and_language(cli, tmp_path):
    from .conftest import EVAL_CORPUS

    completed = cli(*EVAL_CORPUS, "--report", str(tmp_path / "report.md"), "--json")
    assert completed.returncode == 0, completed.stderr
    for line in completed.stdout.splitlines():
        record = json.loads(line)
        assert record["faithfulness"]["it"] == {
            "summaries": 33,
            "with_unsupported": 0.0,
            "mean_unsupported": 0.0,
        }
        assert record["faithfulness"]["en"] is None
    assert "| `extractive` | 33 | 0.0% | 0.00 |" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_an_empty_or_wrong_language_summary_is_a_warning_not_a_failure():
    record = summarised("   ", "Il Senato ha approvato ieri sera in via definitiva la legge di bilancio.")
    Guard()([record])
    assert record.ok and record.checks["faithfulness"]["it"] is None
    assert record.warnings[0] == "it summary is empty"
    assert record.warnings[1].startswith("en summary looks like 'it'")


def test_the_guard_accepts_demonyms_acronyms_and_plurals_and_flags_a_changed_country():
    record = Record(
        id="onu",
        source="onu.txt",
        lang="it",
        title="L'Onu e il governo francese",
        text="L'Onu ha chiesto al governo francese di fermare la vendita di GPU alla Russia entro il "
        "25 settembre.",
    )
    record.summary_it = (
        "Le Nazioni Unite chiedono alla Francia di fermare la vendita di GPU a Mosca entro il 25/9."
    )
    record.summary_en = "The UN asked the French government to stop selling GPUs to Germany by September 25."
    Guard()([record])
    checks = record.checks["faithfulness"]
    assert checks["it"]["unsupported"] == []
    assert checks["en"]["unsupported"] == [{"text": "Germany", "kind": "name", "count": 1}]
