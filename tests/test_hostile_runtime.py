"""Hostile and unlucky runs (issue 22, the runtime half): many copies of one text to digest, hostile
model folders, unreachable or malformed Ray addresses, a record that kills its Ray worker, a digest
of articles in another language, a summary repeating a fact. Each test asserts the promise: no
record lost or doubled, bounded time and memory, one line and the right exit status, no traceback.
The bad files are made here, not committed."""

import json
import shutil
import time

import pytest

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


# --- 15. a digest of articles in another language -------------------------------------------

OTHER_LANGUAGES = {
    "de": (
        "Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz zur Energiewende beschlossen. "
        "Der Bundeskanzler sagte, das Gesetz werde 12 Milliarden Euro kosten und die Strompreise senken. "
        "Die Opposition kritisierte den Plan scharf und sprach von einer teuren Symbolpolitik."
    ),
    "es": (
        "El Gobierno aprobó el miércoles en Madrid una nueva ley de transición energética. El presidente "
        "dijo que la ley costará 12.000 millones de euros y que bajará el precio de la electricidad. "
        "La oposición criticó duramente el plan y habló de una política cara y simbólica."
    ),
}


@pytest.mark.parametrize("lang", sorted(OTHER_LANGUAGES))
def test_a_digest_of_articles_in_another_language_warns_per_story(tmp_path, lang):
    folder = tmp_path / "articles"
    folder.mkdir()
    for outlet in ("uno", "due"):
        (folder / f"{outlet}.txt").write_text(OTHER_LANGUAGES[lang] + "\n", encoding="utf-8")
    shutil.copy(ARTICLE, folder / "tre.txt")
    status, stdout, stderr = cli("digest", str(folder), "--json", "--lang", "it")
    assert status == 0
    stories = {tuple(story["articles"]): story for story in map(json.loads, stdout.splitlines())}
    foreign, italian = stories[("due", "uno")], stories[("tre",)]
    [warning] = [w for w in foreign["warnings"] if "not Italian" in w]
    assert warning.startswith("due and 1 more: ") and f"'{lang}'" in warning
    assert not any("not Italian" in w for w in italian["warnings"])
    assert f"warning: {foreign['story_id']}: {warning}" in stderr.splitlines()
