"""The monitor's reading side against a real HTTP server on loopback (`tests/feed_server.py`): feed
lists, RSS and Atom entries, fetching with its guards and faults, politeness measured on the
server's request log, robots.txt, conditional GET, and article pages made records."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from itnews.core.record import InputError
from itnews.monitor.articles import article_record
from itnews.monitor.feeds import Entry, feed_urls, parse_feed
from itnews.monitor.fetch import Fetcher, FetchError

from .feed_server import STORIES, FeedServer, split_text

DELAY = 0.2  # politeness in these tests: short, and still measurable on the server's clock
QUICK = 0.02  # for the tests about something else


@pytest.fixture
def site():
    with FeedServer() as server:
        yield server


@pytest.fixture
def fetcher():
    with Fetcher(delay=QUICK, timeout=1, max_bytes=1_000_000, allow_private=True) as opened:
        yield opened


def labels() -> dict[str, dict]:
    rows = (json.loads(line) for line in (STORIES / "labels.jsonl").read_text(encoding="utf-8").splitlines())
    return {row["id"]: row for row in rows}


def story_text(article_id: str) -> tuple[str, list[str]]:
    title, *paragraphs = split_text((STORIES / "articles" / f"{article_id}.txt").read_text(encoding="utf-8"))
    return title, paragraphs


def read_feed(fetcher: Fetcher, url: str):
    fetched = fetcher.get(url)
    return parse_feed(fetched.content, fetched.final_url)


def gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]


# The feeds to watch.


def test_feed_urls_from_urls_lists_and_opml(tmp_path):
    listed = tmp_path / "feeds.txt"
    listed.write_text(
        "# outlets\n\nhttps://a.example/rss\n  https://b.example/feed.xml  \n# gone: https://c.example/\n"
        "https://a.example/rss\n",
        encoding="utf-8",
    )
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="Italia"><outline text="D" type="rss" xmlUrl="https://d.example/atom"/></outline>'
        '<outline text="E" type="rss" xmlUrl="http://e.example/rss" htmlUrl="http://e.example/"/>'
        '<outline text="a page, not a feed" type="link" url="https://f.example/"/></body></opml>',
        encoding="utf-8",
    )
    urls = feed_urls(["https://z.example/rss", str(listed), str(opml), "https://b.example/feed.xml"])
    assert urls == [
        "https://z.example/rss",
        "https://a.example/rss",
        "https://b.example/feed.xml",
        "https://d.example/atom",
        "http://e.example/rss",
    ]


@pytest.mark.parametrize(
    ("name", "content", "item", "reason"),
    [
        ("missing.txt", None, "missing.txt", "no such file"),
        ("bad.txt", "https://a.example/rss\n# x\nftp://b.example/feed\n", "bad.txt:3", "not an http(s) URL"),
        ("empty.txt", "# nothing here\n\n", "empty.txt", "no feed URLs in the file"),
        ("binary.txt", b"\xff\xfe\x00\x01rss", "binary.txt", "not UTF-8 text"),
        (
            "broken.opml",
            '<opml version="2.0"><body><outline xmlUrl="https://a.example/"',
            "broken.opml",
            "malformed OPML",
        ),
        ("rss.opml", "<rss><channel/></rss>", "rss.opml", "not an OPML file (its root is <rss>)"),
        (
            "none.opml",
            '<opml version="2.0"><body><outline text="x"/></body></opml>',
            "none.opml",
            "no feed URLs",
        ),
        (
            "file.opml",
            '<opml><body><outline xmlUrl="file:///etc/passwd"/></body></opml>',
            "file.opml",
            "not an http",
        ),
        (
            "entity.opml",
            '<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<opml><body><outline xmlUrl="&x;"/></body></opml>',
            "entity.opml",
            "malformed OPML: Attribute references external entity",  # never resolved: nothing is read
        ),
    ],
)
def test_feed_lists_that_are_not(tmp_path, monkeypatch, name, content, item, reason):
    monkeypatch.chdir(tmp_path)
    if isinstance(content, str):
        (tmp_path / name).write_text(content, encoding="utf-8")
    elif content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as raised:
        feed_urls([name])
    assert raised.value.item == item
    assert reason in raised.value.reason
    assert "\n" not in str(raised.value)


def test_a_feed_argument_must_be_http():
    with pytest.raises(InputError, match="not an http"):
        feed_urls(["file:///etc/passwd"])


# Feeds read.


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_rss_and_atom_entries(site, fetcher, kind):
    url = f"{site.url}/feeds/corriere.{kind}"
    feed = read_feed(fetcher, url)
    expected = [row for row in labels().values() if row["id"].endswith("-corriere")]
    assert feed.title == "Il Corriere del Mattino"
    assert len(feed.entries) == len(expected) > 1
    assert feed.errors == []
    by_id = {entry.url.split("/")[-1].split(".")[0]: entry for entry in feed.entries}
    assert set(by_id) == {row["id"] for row in expected}
    for row in expected:
        entry = by_id[row["id"]]
        assert entry.feed == url
        # Atom's links are relative: resolved against the feed's URL.
        assert entry.url.startswith(f"{site.url}/articles/{row['id']}.html")
        assert entry.title == story_text(row["id"])[0]
        assert entry.published == f"{row['date']}T08:00:00+00:00"
        assert entry.outlet == row["outlet"]
        assert row["id"] in entry.guid


def test_outlet_is_the_host_when_the_feed_has_no_title(site, fetcher):
    feed = read_feed(fetcher, f"{site.url}/feeds/untitled.rss")
    assert feed.title is None
    assert {entry.outlet for entry in feed.entries} == {"127.0.0.1"}


def test_an_item_without_a_link_is_an_error_and_the_others_are_read(site, fetcher):
    feed = read_feed(fetcher, f"{site.url}/feeds/nolink.rss")
    assert [entry.guid for entry in feed.entries] == ["s01-corriere"]
    assert [(error.item, error.reason) for error in feed.errors] == [
        (f"{site.url}/feeds/nolink.rss item 2", "no http(s) link to an article")
    ]


def test_a_feed_with_small_errors_is_still_read(site, fetcher):
    feed = read_feed(fetcher, f"{site.url}/feeds/bozo.rss")  # an undefined entity (&nbsp;) in XML
    assert [entry.guid for entry in feed.entries] == [
        name for name in labels() if name.endswith("-gazzetta")
    ][:2]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("malformed.rss", "not an RSS or Atom feed: line 1, column"), ("page.rss", "not an RSS or Atom feed")],
)
def test_malformed_feeds_are_one_line_errors(site, fetcher, name, reason):
    url = f"{site.url}/feeds/{name}"
    with pytest.raises(InputError) as raised:
        read_feed(fetcher, url)
    assert raised.value.item == url
    assert raised.value.reason.startswith(reason)
    assert "\n" not in str(raised.value)


def test_feed_content_is_never_taken_for_a_file_name(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(
        '<rss version="2.0"><channel><item><link>https://a.example/x</link></item></channel></rss>'
    )
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(str(secret).encode(), "https://feeds.example/rss")


# Fetching: faults.


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/feeds/down.rss", "HTTP 503"),
        ("/faults/missing", "HTTP 404"),
        ("/faults/error", "HTTP 500"),
        ("/faults/slow", "timed out after 1 s"),  # answers after 3 s
        (
            "/faults/trickle",
            "timed out after 1 s",
        ),  # a byte every 0.2 s: each read is quick, the whole is not
        ("/faults/huge", "larger than 1 MB"),  # refused on its Content-Length
        ("/faults/huge-unsized", "larger than 1 MB"),  # refused as it streams in
        ("/faults/document.pdf", "not HTML (application/pdf)"),
        ("/faults/loop-a", "redirect loop"),
        ("/faults/hops/6", "too many redirects (over 5)"),
        ("/faults/to-file", "only http(s): file:///etc/passwd"),
        ("/private/page.html", "disallowed by robots.txt"),
    ],
)
def test_page_faults_are_one_line_errors(site, fetcher, path, reason):
    url = site.url + path
    with pytest.raises(FetchError) as raised:
        fetcher.get(url, html_only=True)
    assert (raised.value.item, raised.value.reason) == (url, reason)
    # The fetcher goes on: the next page of the same site is fetched.
    assert fetcher.get(f"{site.url}/articles/s03-corriere.html", html_only=True).status == 200


def test_a_disallowed_page_is_never_requested_and_robots_txt_is_read_once(site, fetcher):
    for name in ("a", "b"):
        with pytest.raises(FetchError, match="disallowed by robots.txt"):
            fetcher.get(f"{site.url}/private/{name}.html")
    fetcher.get(f"{site.url}/articles/s01-corriere.html")
    fetcher.get(f"{site.url}/feeds/all.rss")
    assert [request.path for request in site.requests] == [
        "/robots.txt",
        "/articles/s01-corriere.html",
        "/feeds/all.rss",
    ]


@pytest.mark.parametrize(("robots", "outcome"), [(404, "allowed"), (500, "robots.txt: HTTP 500")])
def test_robots_txt_missing_allows_everything_and_unavailable_allows_nothing(robots, outcome):
    with FeedServer(robots=robots) as server, Fetcher(delay=QUICK, allow_private=True) as fetcher:
        url = f"{server.url}/private/page.html?x"  # the server has no such page: 404 if asked
        if outcome == "allowed":
            with pytest.raises(FetchError, match="HTTP 404"):
                fetcher.get(url)
        else:
            with pytest.raises(FetchError, match=outcome):
                fetcher.get(url)
            assert [request.path for request in server.requests] == ["/robots.txt"]


def test_a_feed_that_is_down_is_one_line_error(site, fetcher):
    url = site.closed_url()
    with pytest.raises(FetchError) as raised:
        fetcher.get(url)
    assert raised.value.item == url
    assert raised.value.reason.startswith("cannot connect")
    assert "\n" not in str(raised.value)


def test_redirects_within_the_limit_are_followed(site, fetcher):
    url = f"{site.url}/faults/hops/5"
    fetched = fetcher.get(url, html_only=True)
    assert (fetched.url, fetched.final_url, fetched.status) == (
        url,
        f"{site.url}/articles/s01-corriere.html",
        200,
    )
    assert story_text("s01-corriere")[0].encode() in fetched.content


def test_private_addresses_are_refused_before_anything_is_sent(site):
    with Fetcher(delay=QUICK, timeout=1) as guarded:
        port = site.url.rsplit(":", 1)[1]
        for url, address in [
            (f"{site.url}/feeds/all.rss", "127.0.0.1"),
            (f"http://localhost:{port}/feeds/all.rss", None),  # a name for a loopback address
            ("http://10.0.0.1/feed", "10.0.0.1"),
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
            ("http://[::ffff:127.0.0.1]:80/", "::ffff:127.0.0.1"),
        ]:
            with pytest.raises(FetchError) as raised:
                guarded.get(url)
            assert raised.value.reason.startswith("private address "), url
            assert raised.value.reason.endswith(" refused (--allow-private)")
            if address:
                assert raised.value.reason == f"private address {address} refused (--allow-private)"
    assert site.requests == []


def test_only_http_and_https(fetcher):
    for url in ("ftp://a.example/feed", "file:///etc/passwd", "gopher://a.example/"):
        with pytest.raises(FetchError, match=r"only http\(s\)"):
            fetcher.get(url)


# Conditional GET.


def test_conditional_get_answers_304_until_the_feed_changes(site, fetcher):
    first_ids = [article_id for article_id in site.listed if article_id.endswith("-radio")][:4]
    site.listed = list(first_ids)
    url = f"{site.url}/feeds/radio.rss"
    first = fetcher.get(url)
    assert first.etag and first.last_modified and not first.not_modified
    assert len(parse_feed(first.content, url).entries) == 4

    unchanged = fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert (unchanged.status, unchanged.not_modified, unchanged.content) == (304, True, None)
    by_date = fetcher.get(url, last_modified=first.last_modified)
    assert by_date.not_modified
    sent = [request.headers for request in site.paths("/feeds/radio.rss")]
    assert sent[1]["If-None-Match"] == first.etag
    assert sent[2]["If-Modified-Since"] == first.last_modified

    more = [article_id for article_id in labels() if article_id.endswith("-radio")][4:7]
    site.publish(more)
    grown = fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert grown.status == 200 and not grown.not_modified and grown.etag != first.etag
    assert [entry.guid for entry in parse_feed(grown.content, url).entries] == first_ids + more


def test_an_item_that_changes_its_text_between_passes(site, fetcher):
    url = f"{site.url}/feeds/eco.rss"
    before = {entry.guid: entry for entry in read_feed(fetcher, url).entries}
    article_id = next(iter(before))
    site.revise(
        article_id,
        "Titolo corretto dalla redazione",
        "Aggiornamento: la notizia è stata corretta nel pomeriggio.",
    )
    after = {entry.guid: entry for entry in read_feed(fetcher, url).entries}
    assert after.keys() == before.keys()
    assert after[article_id].title == "Titolo corretto dalla redazione" != before[article_id].title
    record = article_record(after[article_id], fetcher.get(after[article_id].url, html_only=True))
    assert record.title == "Titolo corretto dalla redazione"
    assert record.text.endswith("Aggiornamento: la notizia è stata corretta nel pomeriggio.")


# Politeness, measured on the server.


def test_one_request_per_host_per_delay(site):
    urls = [f"{site.url}/articles/{article_id}.html" for article_id in list(labels())[:6]]
    with Fetcher(delay=DELAY, allow_private=True) as fetcher:
        for url in urls[:3]:
            fetcher.get(url)
        with ThreadPoolExecutor(4) as pool:  # asked for at once: still one at a time, a delay apart
            list(pool.map(fetcher.get, urls[3:] + [f"{site.url}/feeds/all.rss"]))
    times = [request.time for request in site.requests]
    assert len(times) == 1 + 7  # robots.txt counts
    assert min(gaps(times)) >= DELAY


def test_robots_crawl_delay_when_larger(site):
    site.robots = "User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n"
    with Fetcher(delay=DELAY, allow_private=True) as fetcher:
        for article_id in list(labels())[:3]:
            fetcher.get(f"{site.url}/articles/{article_id}.html")
    assert min(gaps([request.time for request in site.paths("/articles/")])) >= 1


def test_politeness_holds_after_a_timeout(site):
    with Fetcher(delay=DELAY, timeout=0.5, allow_private=True) as fetcher:
        with pytest.raises(FetchError, match="timed out"):
            fetcher.get(f"{site.url}/faults/slow")
        fetcher.get(f"{site.url}/articles/s01-corriere.html")
    assert min(gaps([request.time for request in site.requests])) >= DELAY


# Article pages made records.


def test_article_record_from_a_story_page(site, fetcher):
    entry = next(entry for entry in read_feed(fetcher, f"{site.url}/feeds/notizie.rss").entries)
    article_id = entry.guid
    record = article_record(entry, fetcher.get(entry.url, html_only=True))
    title, paragraphs = story_text(article_id)
    assert record.title == title
    assert record.text.split("\n\n") == paragraphs  # no menu, no footer
    assert record.source == f"{site.url}/articles/{article_id}.html"  # canonical: no tracking query
    assert record.outlet == labels()[article_id]["outlet"]
    assert record.published == entry.published
    # Another link to the same article (the page's own URL, a Windows-1252 copy whose canonical link
    # names it) is the same record.
    plain = Entry(entry.feed, record.source, entry.guid, entry.title, entry.published, entry.outlet)
    assert article_record(plain, fetcher.get(plain.url, html_only=True)).id == record.id
    latin = fetcher.get(f"{site.url}/latin1/{article_id}.html", html_only=True)
    assert "windows-1252" in latin.content_type
    copy = article_record(entry, latin)
    assert (copy.id, copy.text, copy.title) == (record.id, record.text, record.title)


def test_article_record_takes_the_page_date_when_the_feed_has_none(site, fetcher):
    entry = read_feed(fetcher, f"{site.url}/feeds/undated.rss").entries[0]
    assert entry.published is None
    record = article_record(entry, fetcher.get(entry.url, html_only=True))
    assert record.published == labels()["s02-corriere"]["date"]


def test_a_canonical_link_to_another_site_is_not_taken(site, fetcher):
    url = f"{site.url}/foreign/s01-corriere.html"
    entry = Entry(f"{site.url}/feeds/all.rss", url, "x", None, None, "Test")
    record = article_record(entry, fetcher.get(url, html_only=True))
    assert record.source == url
    assert record.title == story_text("s01-corriere")[0]  # the page's, the entry has none


def test_article_record_from_the_corpus_html_pages(site, fetcher):
    feed = read_feed(fetcher, f"{site.url}/feeds/corpus.rss")
    entries = [entry for entry in feed.entries if entry.guid in ("cronaca-02", "cronaca-01")]
    for entry in entries:
        record = article_record(entry, fetcher.get(entry.url, html_only=True))
        assert record.title == entry.title
        assert len(record.text.split()) > 150


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/faults/binary.html", "binary file (contains NUL bytes), not text"),
        ("/faults/menu.html", "no article text found in the HTML page, only menus or lists of links"),
    ],
)
def test_pages_without_an_article_are_one_line_errors(site, fetcher, path, reason):
    url = site.url + path
    entry = Entry(f"{site.url}/feeds/all.rss", url, "x", "Titolo", None, "Test")
    with pytest.raises(InputError) as raised:
        article_record(entry, fetcher.get(url, html_only=True))
    assert (raised.value.item, raised.value.reason) == (url, reason)


def test_a_not_modified_answer_is_no_article(site, fetcher):
    url = f"{site.url}/articles/s01-corriere.html"
    first = fetcher.get(url)
    again = fetcher.get(url, etag=first.etag)
    entry = Entry(f"{site.url}/feeds/all.rss", url, "x", None, None, "Test")
    with pytest.raises(InputError, match="not modified"):
        article_record(entry, again)
