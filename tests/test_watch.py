"""`itnews watch` end to end: a local news site (tests/feed_server.py) read pass after pass into a
store, through the command as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from itnews.monitor.store import Store

from .conftest import REPO, run_cli
from .feed_server import FeedServer, story_articles
from .test_store import assert_consistent

OUTLET_FEEDS = [f"{outlet}.rss" for outlet in sorted({article.feed for article in story_articles()})]
DELAY = "0.02"  # seconds between two requests to the test server: quick, still one at a time


def labelled(*stories: str) -> dict[str, str]:
    """Article id -> its labelled story, for the story corpus's ``stories``."""
    rows = [json.loads(line) for line in (REPO / "corpus/stories/labels.jsonl").read_text().splitlines()]
    return {row["id"]: row["story"] for row in rows if row["story"] in stories}


def watch(site: FeedServer, store, *feeds: str, **run) -> subprocess.CompletedProcess:
    urls = [feed if "://" in feed else f"{site.url}/feeds/{feed}" for feed in feeds]
    completed = run_cli(
        "watch", *urls, "--store", str(store), "--once", "--delay", DELAY, "--timeout", "2",
        "--allow-private", "--lang", "it", **run,
    )  # fmt: skip
    completed.stdout, completed.stderr = completed.stdout.decode(), completed.stderr.decode()
    assert "Traceback" not in completed.stderr
    return completed


def stored_stories(store) -> dict[str, set[str]]:
    """Story id -> the ids of its articles' ids in the corpus (the pages' names)."""
    db = sqlite3.connect(store)
    names = dict(db.execute("SELECT id, url FROM articles"))
    stories: dict[str, set[str]] = {}
    for article, story in db.execute("SELECT article_id, story_id FROM story_articles"):
        stories.setdefault(story, set()).add(names[article].rsplit("/", 1)[-1].removesuffix(".html"))
    db.close()
    return stories


def grouping(stories: dict[str, set[str]]) -> set[frozenset]:
    return {frozenset(members) for members in stories.values()}


def label_grouping(labels: dict[str, str]) -> set[frozenset]:
    stories: dict[str, set[str]] = {}
    for article, story in labels.items():
        stories.setdefault(story, set()).add(article)
    return grouping(stories)


def test_passes_build_stories_extend_them_under_their_ids_and_skip_unchanged_feeds(tmp_path):
    first = labelled("s01", "s02", "s03")
    later = labelled("s04")
    held_back = sorted(first)[::3]  # a third of the first stories' articles come in the second pass
    store = tmp_path / "news.db"
    feeds = [*OUTLET_FEEDS, "all.rss"]  # every item in two feeds
    with FeedServer(listed=[a for a in first if a not in held_back]) as site:
        completed = watch(site, store, *feeds)
        assert completed.returncode == 0, completed.stderr
        before = stored_stories(store)
        assert grouping(before) == label_grouping({a: s for a, s in first.items() if a not in held_back})

        site.publish([*held_back, *later])
        completed = watch(site, store, *feeds)
        assert completed.returncode == 0, completed.stderr
        after = stored_stories(store)
        assert grouping(after) == label_grouping({**first, **later})
        for story, members in before.items():
            assert members <= after[story]  # the story grew under its id
        assert len(after) == len(before) + 1  # s04 opened one

        requests = len(site.requests)
        completed = watch(site, store, *feeds)
        answered = [r for r in site.requests[requests:] if r.path != "/robots.txt"]
        assert completed.returncode == 0 and stored_stories(store) == after
        assert all(request.path.startswith("/feeds/") for request in answered)  # no page fetched again
        assert all("if-none-match" in {k.lower() for k in r.headers} for r in answered)  # conditional GETs
    with Store(store) as opened:
        assert opened.count("articles") == len(first) + len(later)  # each once, though listed twice
    assert_consistent(store)

    briefing = run_cli("digest", "--store", str(store), "--since", "24h", "--json")
    assert briefing.returncode == 0, briefing.stderr
    assert {json.loads(line)["story_id"] for line in briefing.stdout.splitlines()} == set(after)
    # The run-wide notice (no summarisation model downloaded) that every article carries: once in all.
    warnings = briefing.stderr.decode().splitlines()
    assert len(warnings) == 1 and "extractive summariser" in warnings[0]


def test_every_fault_is_one_line_and_an_error_row_and_the_pass_goes_on(tmp_path):
    store = tmp_path / "news.db"
    good = labelled("s05")
    with FeedServer(listed=list(good)) as site:
        site.articles[sorted(good)[0]].path = "/faults/missing"  # its page is gone: 404
        down = site.closed_url()
        completed = watch(site, store, down, "down.rss", "malformed.rss", "nolink.rss", *OUTLET_FEEDS)
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert completed.returncode == 1
    assert any(line.startswith(f"error: {down}: cannot connect") for line in errors)
    assert any("down.rss: HTTP 503" in line for line in errors)
    assert any("malformed.rss: not an RSS or Atom feed" in line for line in errors)
    assert any("nolink.rss item" in line for line in errors)
    assert any("/faults/missing" in line and "HTTP 404" in line for line in errors)
    with Store(store) as opened:
        assert len(opened.errors()) == len(errors)
        assert opened.count("articles") == len(good) - 1  # every other article stored
    assert_consistent(store)


def test_an_item_that_failed_is_tried_again_next_pass_though_its_feed_is_unchanged(tmp_path):
    store = tmp_path / "news.db"
    articles = labelled("s06")
    down = sorted(articles)[0]
    with FeedServer(listed=list(articles)) as site:
        site.failing.add(down)
        completed = watch(site, store, *OUTLET_FEEDS)
        assert completed.returncode == 1 and f"{down}.html?utm_source=rss: HTTP 500" in completed.stderr
        site.failing.clear()
        completed = watch(site, store, *OUTLET_FEEDS)
        assert completed.returncode == 0, completed.stderr
    assert sorted(name for members in stored_stories(store).values() for name in members) == sorted(articles)


def test_an_item_the_feed_changes_after_it_was_stored_is_one_warning_and_kept_as_stored(tmp_path):
    store = tmp_path / "news.db"
    articles = labelled("s07")
    revised = sorted(articles)[0]
    with FeedServer(listed=list(articles)) as site:
        assert watch(site, store, *OUTLET_FEEDS).returncode == 0
        with Store(store) as opened:
            [[text]] = opened.db.execute("SELECT text FROM articles WHERE url LIKE ?", (f"%/{revised}.html",))
        site.revise(revised, "Un titolo del tutto nuovo", "Un paragrafo aggiunto dopo.")
        completed = watch(site, store, *OUTLET_FEEDS)
        again = watch(site, store, *OUTLET_FEEDS)  # said once, not at every pass
    warnings = [line for line in completed.stderr.splitlines() if line.startswith("warning: ")]
    assert completed.returncode == 0 and len(warnings) == 1
    assert f"/{revised}.html" in warnings[0] and "Un titolo del tutto nuovo" in warnings[0]
    assert "warning: http" not in again.stderr
    with Store(store) as opened:
        assert opened.count("articles") == len(articles)
        [[after]] = opened.db.execute("SELECT text FROM articles WHERE url LIKE ?", (f"%/{revised}.html",))
        assert after == text and len(opened.errors()) == 1


def test_a_killed_pass_resumes_without_losing_or_doubling_an_article(tmp_path):
    articles = labelled("s01", "s02", "s03", "s04", "s05", "s06")
    store = tmp_path / "news.db"
    with FeedServer(listed=list(articles)) as site:
        urls = [f"{site.url}/feeds/{feed}" for feed in OUTLET_FEEDS]
        args = ["watch", *urls, "--store", str(store), "--once", "--delay", "0.2", "--allow-private"]
        process = subprocess.Popen(
            [sys.executable, "-m", "itnews.cli", *args, "--lang", "it"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "HF_HUB_OFFLINE": "1"}, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and stored(store) < 3:
            time.sleep(0.05)
        assert process.poll() is None, "the pass ended before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert 0 < stored(store) < len(articles)
        assert_consistent(store)
        completed = watch(site, store, *OUTLET_FEEDS)
        assert completed.returncode == 0, completed.stderr
    assert sorted(name for members in stored_stories(store).values() for name in members) == sorted(articles)
    assert_consistent(store)


def stored(store) -> int:
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-a-file.txt"], "not-a-file.txt: no such file"),
        (["ftp://example.com/feed"], "ftp://example.com/feed: not an http(s) URL"),
    ],
)
def test_bad_feed_arguments_are_one_line_before_any_fetching(tmp_path, args, message):
    completed = run_cli("watch", *args, "--store", str(tmp_path / "news.db"), "--once")
    stderr = completed.stderr.decode()
    assert completed.returncode == 1 and stderr.strip() == f"error: {message}"
    assert not (tmp_path / "news.db").exists()


def test_a_store_that_is_another_file_is_refused_untouched(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a database")
    completed = run_cli("watch", "http://example.com/feed", "--store", str(other), "--once")
    assert completed.returncode == 1 and "not an itnews store" in completed.stderr.decode()
    assert other.read_bytes() == b"not a database"


def test_a_private_address_is_refused_without_allow_private(tmp_path):
    with FeedServer() as site:
        completed = run_cli("watch", f"{site.url}/feeds/all.rss", "--store", str(tmp_path / "n.db"), "--once")
        assert site.requests == []
    stderr = completed.stderr.decode()
    assert completed.returncode == 1 and "private address 127.0.0.1 refused (--allow-private)" in stderr
