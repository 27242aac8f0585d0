"""Hostile and unlucky runs (issue 22, the runtime half): many copies of one text to digest, hostile
model folders, unreachable or malformed Ray addresses, a record that kills its Ray worker, a digest
of articles in another language, a summary repeating a fact. Each test asserts the promise: no
record lost or doubled, bounded time and memory, one line and the right exit status, no traceback.
The bad files are made here, not committed."""

import json
import time

from .conftest import CORPUS, run_cli

ARTICLE = CORPUS / "articles" / "politica-01.txt"


def cli(*args: str, timeout: int = 180, env: dict | None = None):
    completed = run_cli(*args, timeout=timeout, env=env)
    stdout, stderr = completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    assert "Traceback" not in stderr, stderr
    return completed.returncode, stdout, stderr


# --- 16. a summary repeating a fact ----------------------------------------------------------


def test_a_summary_repeating_unsupported_facts_is_checked_in_linear_time_and_listed_once(tmp_path):
    # An unsupported name and figure, and a sentence copied from the article, repeated: 17,000 names.
    copied = "Il Senato ha approvato ieri sera in via definitiva la legge di bilancio per il prossimo anno."
    summary = " ".join(["Lo ha detto Zanzibaro, con 37 milioni di euro.", copied] * 17_000)
    summaries = tmp_path / "s.jsonl"
    summaries.write_text(json.dumps({"id": "politica-01", "summary_it": summary}) + "\n", encoding="utf-8")
    started = time.monotonic()
    status, stdout, stderr = cli("check", str(ARTICLE), "--summaries", str(summaries))
    elapsed = time.monotonic() - started
    assert status == 1 and stderr == ""
    [line] = stdout.splitlines()
    assert len(line) < 300, line
    assert "name 'Zanzibaro' (17000 times)" in line and "amount '37 milioni di euro' (17000 times)" in line
    assert elapsed < 20, elapsed  # was 24-44 s at this size, growing with its square
    status, stdout, _ = cli("check", str(ARTICLE), "--summaries", str(summaries), "--json")
    unsupported = json.loads(stdout)["it"]["unsupported"]
    assert sorted((f["text"], f["count"]) for f in unsupported) == [
        ("37 milioni di euro", 17_000),
        ("Zanzibaro", 17_000),
    ]
