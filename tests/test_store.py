"""The story store (`itnews.monitor.store`) and its incremental stories: articles added pass after pass
group as `digest` groups them all at once, ids stay, copies are stored once, a kill leaves the store
whole; `digest --store` and `serve --store` read it back. Records come from the story corpus, each
with a URL as its source, as a feed's article would."""

import json
import random
import sqlite3
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from itnews.core.record import InputError, Record
from itnews.digest.build import STORY_KEYS
from itnews.digest.stories import group, tfidf
from itnews.ingest.clean import Clean
from itnews.monitor import store as store_module
from itnews.monitor.incremental import feature_counts, vectors
from itnews.monitor.store import Store

from .conftest import CORPUS, REPO
from .serving import Server

STORIES = CORPUS / "stories"
LABELS = [json.loads(line) for line in (STORIES / "labels.jsonl").open(encoding="utf-8")]


def corpus_records(*prefixes: str) -> list[Record]:
    """The story corpus's articles (all, or those whose ids start so) as a feed would give them."""
    records = [
        Record(
            id=label["id"],
            text=(STORIES / label["path"]).read_text(encoding="utf-8"),
            source=f"https://news.example/{label['id']}",
            outlet=label["outlet"],
            published=label["date"],
        )
        for label in LABELS
        if label["id"].startswith(prefixes or ("",))
    ]
    return Clean()(records)


@pytest.fixture(scope="module")
def records():
    return corpus_records()


def partition(groups) -> set[frozenset]:
    return {frozenset(members) for members in groups}


def batch_partition(records: list[Record]) -> set[frozenset]:
    return partition([records[i].id for i in members] for members in group(records))


def store_partition(store: Store, ids: list[str]) -> set[frozenset]:
    stories: dict[str, set] = {}
    for article in ids:
        stories.setdefault(store.story_of(article), set()).add(article)
    assert None not in stories  # every article is in a story
    return partition(stories.values())


def merged_into(store: Store, story: str) -> str | None:
    return store.db.execute("SELECT merged_into FROM stories WHERE id = ?", (story,)).fetchone()[0]


def assert_consistent(path) -> None:
    """Whole: SQLite's own checks, and every derived table agrees with the articles."""
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    articles = db.execute("SELECT id, features FROM articles").fetchall()
    assert db.execute("SELECT value FROM meta WHERE key = 'articles'").fetchone() == (len(articles),)
    held = {}
    for _, features in articles:
        for token in json.loads(features):
            held[token] = held.get(token, 0) + 1
    assert dict(db.execute("SELECT token, articles FROM tokens")) == held
    bands = len(store_module.lsh_ranges())
    assert db.execute("SELECT count(*) FROM bands").fetchone() == (bands * len(articles),)
    pending = {row[0] for row in db.execute("SELECT article_id FROM pending")}
    linked = {row[0] for row in db.execute("SELECT article_id FROM story_articles")}
    assert not pending & linked and pending | linked == {row[0] for row in articles}
    for story_id, story in db.execute("SELECT id, story FROM stories WHERE merged_into IS NULL"):
        members = {
            row[0]
            for row in db.execute("SELECT article_id FROM story_articles WHERE story_id = ?", (story_id,))
        }
        assert set(json.loads(story)["articles"]) == members
    db.close()


# --- incremental = batch -------------------------------------------------------------------------


def test_vectors_from_stored_counts_are_the_digests_tfidf(records):
    chosen = [r for r in records if r.id.startswith(("s01", "s02", "d01"))]
    counts = [feature_counts(r) for r in chosen]
    frequency = {}
    for row in counts:
        for token in row:
            frequency[token] = frequency.get(token, 0) + 1
    ours = vectors(counts, frequency, len(chosen))
    theirs = tfidf(chosen)
    assert ours.shape[0] == theirs.shape[0] and ours.shape[1] == theirs.shape[1]
    np.testing.assert_allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(), atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2])
def test_passes_of_a_few_articles_group_as_digest_over_all_and_ids_stay(records, tmp_path, seed):
    order = records[:]
    random.Random(seed).shuffle(order)  # articles arrive in no order of their dates
    given: set[str] = set()
    with Store(tmp_path / "news.db") as store:
        for start in range(0, len(order), 6):
            assert len(store.add_articles(order[start : start + 6])) == 6
            changed = store.update_stories()
            live = {s.story.story_id: set(s.story.articles) for s in store.stories("2000-01-01")}
            for story in given:  # an id once given stays, or says which story took its articles
                assert story in live or merged_into(store, story) in live
            given |= set(changed)
            assert set(live) <= given
        assert store_partition(store, [r.id for r in records]) == batch_partition(records)
        assert {a for articles in live.values() for a in articles} == {r.id for r in records}
    assert_consistent(tmp_path / "news.db")


def test_a_second_pass_extends_a_story_under_its_id_and_rebuilds_only_what_changed(tmp_path):
    first = corpus_records("s01", "s02")
    late = next(r for r in first if r.id == "s01-notizie")
    with Store(tmp_path / "news.db") as store:
        store.add_articles([r for r in first if r is not late])
        opened = store.update_stories()
        deal, other = store.story_of("s01-corriere"), store.story_of(first[-1].id)
        assert sorted(opened) == sorted({deal, other}) and deal != other
        before = store.db.execute("SELECT story FROM stories WHERE id = ?", (other,)).fetchone()
        store.add_articles([late, *corpus_records("d01")])
        changed = store.update_stories()
        assert store.story_of("s01-notizie") == deal  # joined the open story, its id unchanged
        distractor = store.story_of("d01-corriere")
        assert distractor not in (deal, other)  # the same actors weeks later: a new story
        assert sorted(changed) == sorted([deal, distractor])
        assert store.db.execute("SELECT story FROM stories WHERE id = ?", (other,)).fetchone() == before
        [stored] = [s.story for s in store.stories("2000-01-01") if s.story.story_id == deal]
        assert "s01-notizie" in stored.articles and any(f["conflict"] for f in stored.figures)
        assert store.update_stories() == []  # nothing pending, nothing rebuilt


def test_stories_close_after_the_window_without_news(tmp_path):
    with Store(tmp_path / "news.db") as store:
        store.add_articles(corpus_records("s01"))
        store.update_stories(window_days=3)
        store.add_articles(corpus_records("d01"))  # weeks later
        store.update_stories(window_days=3)
        closed = {s.story.story_id: s.closed for s in store.stories("2000-01-01")}
        assert closed[store.story_of("s01-corriere")] and not closed[store.story_of("d01-corriere")]


def test_an_old_article_among_new_ones_reaches_only_its_own_days_stories():
    days = ["2026-03-01", "2026-03-02", "2019-05-10", "2026-03-09"]
    assert store_module.windows(sorted(days), 5) == [
        ("2019-05-05", "2019-05-15"),
        ("2026-02-24", "2026-03-14"),
    ]  # fmt: skip


@pytest.mark.slow
def test_the_summary_steps_summarise_the_stories_built_and_keep_them(tmp_path, tiny_models):
    from itnews.summarise.steps import SummaryOptions, summary_steps

    steps = summary_steps(SummaryOptions(translator=str(tiny_models / "marian")))
    with Store(tmp_path / "news.db") as store:
        store.add_articles(corpus_records("s01"))
        [built] = store.update_stories(steps=steps)
        [stored] = store.stories("2000-01-01")
        assert stored.story.story_id == built and stored.story.summary_en  # the translator's, kept
        assert stored.story.summary_it == " ".join(s["text"] for s in stored.story.sentences)


# --- stored once ---------------------------------------------------------------------------------


def test_the_same_url_or_a_near_duplicate_text_is_stored_once(tmp_path):
    records = corpus_records("s01")
    original = records[0]
    same_url = Record.from_dict({**original.to_dict(), "id": "other-id", "outlet": "Another feed"})
    words = original.text.split()
    words[len(words) // 2] = "appunto"  # one word changed: republished with an edit
    copy = Clean()(
        [Record(id="copy", text=" ".join(words), source="https://mirror.example/x", outlet="Mirror")]
    )[0]
    with Store(tmp_path / "news.db") as store:
        assert [r.id for r in store.add_articles(records + [same_url])] == [r.id for r in records]
        assert store.add_articles([copy, original]) == []
        assert store.count("articles") == len(records)
        kept = store.db.execute("SELECT url, article_id, how FROM duplicates ORDER BY url").fetchall()
        assert kept == [("https://mirror.example/x", original.id, "text")]
        assert store.known_url(original.source) and store.known_url("https://mirror.example/x")
        assert not store.known_url("https://news.example/unseen")
        store.update_stories()
        assert store.count("stories") == 1
        titled = [Record(id=f"title-{n}", text="", source="") for n in (1, 2)]  # nothing to group by
        assert store.add_articles(titled) == titled  # no URL: the id; no text: no copy of another
        assert store.known_url("title-1") and store.count("duplicates") == 1
        store.update_stories()  # articles without a feature: each its own story
        assert store.story_of("title-1") != store.story_of("title-2") and store.count("pending") == 0


def test_feed_states_and_errors_are_kept(tmp_path):
    from itnews.monitor.store import FeedState

    with Store(tmp_path / "news.db") as store:
        assert store.feed_state("https://feeds.example/rss") is None
        store.set_feed_state(
            FeedState("https://feeds.example/rss", "Feed", '"v1"', "Sun, 06 Dec 2026 10:00:00 GMT")
        )
        store.add_error("https://feeds.example/a.html", "HTTP 404", pass_number=3)
    with Store(tmp_path / "news.db") as store:  # kept across runs
        state = store.feed_state("https://feeds.example/rss")
        assert (state.title, state.etag, state.last_error) == ("Feed", '"v1"', None) and state.last_checked
        [(item, reason, at, number)] = store.errors()
        assert (item, reason, number) == ("https://feeds.example/a.html", "HTTP 404", 3) and at


# --- kill -9 and resume --------------------------------------------------------------------------

CHILD = """
import sys
from itnews.monitor.store import Store
from tests.test_store import corpus_records
records = corpus_records()
with Store(sys.argv[1]) as store:
    print("started", flush=True)
    for start in range(0, len(records), 4):
        store.add_articles(records[start : start + 4])
        print("added", flush=True)
        store.update_stories()
        print("grouped", flush=True)
"""


def test_a_kill_during_passes_leaves_the_store_whole_and_a_rerun_loses_and_duplicates_nothing(
    records, tmp_path
):
    path = tmp_path / "news.db"
    for lines, delay in ((2, 0.0), (3, 0.05), (4, 0.02)):  # each kill lands elsewhere in a pass
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert child.stdout.readline() == b"started\n", child.stderr.read()
        for _ in range(lines):  # passes done, the last one's stories grouped or not
            child.stdout.readline()
        time.sleep(delay)
        child.kill()  # SIGKILL: no handler, no cleanup
        child.wait()
        assert_consistent(path)
    with Store(path) as store:
        stored = store.count("articles")
        assert 0 < stored < len(records)  # killed part-way through
        store.add_articles(records)
        store.update_stories()
        assert store.count("articles") == len(records) and store.count("duplicates") == 0
        assert store_partition(store, [r.id for r in records]) == batch_partition(records)
    assert_consistent(path)


# --- schema versions ------------------------------------------------------------------------------


def test_a_store_of_an_older_schema_is_migrated_and_keeps_its_articles(tmp_path, monkeypatch):
    path = tmp_path / "news.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        with Store(path) as old, old.transaction() as db:  # articles as a version-1 store held them
            for record in corpus_records("s01"):
                old.insert(
                    db, record, record.source, store_module.minhash(record.text), feature_counts(record)
                )
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (1,)
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone() == (len(store_module.MIGRATIONS),)
        assert store.count("pending") == 5 and store.count("duplicates") == 0
        store.update_stories()
        [story] = store.stories("2000-01-01")
        assert len(story.story.articles) == 5
    assert_consistent(path)


def test_a_newer_store_or_a_file_that_is_no_store_is_refused_untouched(tmp_path):
    newer = tmp_path / "newer.db"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99")
    with pytest.raises(InputError, match="schema version 99 is newer"):
        Store(newer)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    with pytest.raises(InputError, match="not an itnews store"):
        Store(text)
    assert text.read_text() == "not a database\n"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not an itnews store"):
        Store(other)
    with pytest.raises(InputError, match="no such store"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


# --- reading it back ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store of the s01, s02 and d01 stories; the s02 story last seen long ago."""
    path = tmp_path_factory.mktemp("store") / "news.db"
    with Store(path) as store:
        store.add_articles(corpus_records("s01", "s02", "d01"))
        store.update_stories()
        old = store.story_of(next(label["id"] for label in LABELS if label["id"].startswith("s02")))
        store.db.execute("UPDATE stories SET last_seen = '2020-01-01T00:00:00+00:00' WHERE id = ?", (old,))
        ids = {s.story.story_id for s in store.stories("2000-01-01")}
    return path, old, ids


def test_digest_store_since_writes_the_stories_with_news_and_their_report(cli, filled, tmp_path):
    path, old, ids = filled
    out, report = tmp_path / "today.jsonl", tmp_path / "today.html"
    done = cli(
        "digest", "--store", str(path), "--since", "24h", "--json", "--out", str(out), "--report", str(report)
    )
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert {s["story_id"] for s in printed} == ids - {old}
    assert all(set(s) == set(STORY_KEYS) for s in printed)
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == printed
    page = report.read_text(encoding="utf-8")
    assert all(s["headline"] in page for s in printed) and "CONFLICT" in page and "<script" not in page
    everything = cli("digest", "--store", str(path), "--since", "2020-01-01", "--json")
    assert {json.loads(line)["story_id"] for line in everything.stdout.splitlines()} == ids
    text = cli("digest", "--store", str(path))  # readable text, the last 24 hours
    assert text.returncode == 0 and text.stdout.count("\n# ") + text.stdout.startswith("# ") == len(ids) - 1


def test_digest_store_errors_are_one_line(cli, filled, tmp_path):
    path, _, _ = filled
    future = cli("digest", "--store", str(path), "--since", "2999-01-01")
    assert (
        future.returncode == 0 and future.stderr == f"warning: {path}: no story with news since 2999-01-01\n"
    )
    bad = cli("digest", "--store", str(path), "--since", "yesterday")
    assert bad.returncode == 1
    assert (
        bad.stderr == "error: --since yesterday: give a duration (24h, 3d, 90m) or an ISO 8601 date or time\n"
    )
    missing = cli("digest", "--store", str(tmp_path / "none.db"))
    assert missing.stderr == f"error: {tmp_path / 'none.db'}: no such store\n" and missing.returncode == 1
    assert not (tmp_path / "none.db").exists()
    both = cli("digest", str(STORIES / "articles"), "--store", str(path))
    neither = cli("digest")
    for done in (both, neither):
        assert (
            done.returncode == 1 and done.stderr == "error: digest: give INPUT... or --store, one of them\n"
        )
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    foreign = cli("digest", "--store", str(notes))
    assert foreign.stderr == f"error: {notes}: not an itnews store (not a SQLite database)\n"
    assert notes.read_text() == "mine\n"


def test_serve_store_lists_the_stories_with_news_since(filled, tmp_path):
    path, old, ids = filled
    server = Server("--store", str(path), log=tmp_path / "serve.log")
    try:
        recent = httpx.get(f"{server.url}/v1/stories", params={"since": "24h"}).json()
        assert {s["story_id"] for s in recent["stories"]} == ids - {old}
        assert all(
            set(s) == set(STORY_KEYS) | {"first_seen", "last_seen", "closed"} for s in recent["stories"]
        )
        everything = httpx.get(f"{server.url}/v1/stories", params={"since": "2020-01-01"}).json()
        assert {s["story_id"] for s in everything["stories"]} == ids
        bad = httpx.get(f"{server.url}/v1/stories", params={"since": "soon"})
        assert bad.status_code == 422 and bad.json()["error"].startswith("since: give a duration")
        page = httpx.get(f"{server.url}/page/page.js").text
        assert "/v1/stories?since=" in page
    finally:
        assert server.stop() == 0
    plain = Server(log=tmp_path / "plain.log")
    try:
        none = httpx.get(f"{plain.url}/v1/stories")
        assert none.status_code == 404 and "--store" in none.json()["error"]
    finally:
        assert plain.stop() == 0


def test_serve_refuses_a_store_that_is_not_one(cli, tmp_path):
    done = cli("serve", "--store", str(tmp_path / "none.db"), "--port", "0")
    assert done.returncode == 1 and done.stderr == f"error: {tmp_path / 'none.db'}: no such store\n"
