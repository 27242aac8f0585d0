"""The feeds to watch and what they list.

`feed_urls` turns the command's arguments (feed URLs, text files of URLs, OPML files) into feed URLs;
`parse_feed` reads an RSS or Atom document (feedparser) into entries: the articles' links, ids,
titles, dates and outlet. Every problem raises `InputError(item, reason)`; nothing prints.
"""

from __future__ import annotations

import datetime
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from itnews.core.files import open_regular_file
from itnews.core.record import InputError

MAX_LIST_BYTES = 10 * 1024 * 1024  # a list of feeds is kilobytes; anything near this is not one


@dataclass
class Entry:
    """One item of a feed: an article to fetch."""

    feed: str  # the feed's URL
    url: str  # the article's link, absolute
    guid: str  # the item's id in the feed (its link when it has none)
    title: str | None
    published: str | None  # ISO 8601, UTC
    outlet: str | None  # the feed's title, else the link's host


@dataclass
class Feed:
    url: str
    title: str | None
    entries: list[Entry]
    # Items that are not articles to fetch (no http(s) link), one error each; the others are read.
    errors: list[InputError] = field(default_factory=list)


def web_url(text: str) -> bool:
    """An absolute http(s) URL with a host (and a valid port, if any)."""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range or not a number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def feed_urls(arguments: list[str]) -> list[str]:
    """Feed URLs from arguments that are URLs, text files (one URL a line, ``#`` comments) or OPML
    files, in order, each once."""
    urls: list[str] = []
    for argument in arguments:
        if "://" in argument:
            if not web_url(argument):
                raise InputError(argument, "not an http(s) URL")
            urls.append(argument)
        else:
            urls.extend(file_urls(Path(argument), argument))
    return list(dict.fromkeys(urls))


def file_urls(file: Path, item: str) -> list[str]:
    with open_regular_file(file, item) as handle:
        raw = handle.read(MAX_LIST_BYTES + 1)
    if len(raw) > MAX_LIST_BYTES:
        raise InputError(item, f"too large for a list of feeds: over {MAX_LIST_BYTES / 1e6:.0f} MB")
    urls = opml_urls(raw, item) if raw.lstrip().startswith(b"<") else list_urls(raw, item)
    if not urls:
        raise InputError(item, "no feed URLs in the file")
    return urls


def list_urls(raw: bytes, item: str) -> list[str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(item, "not UTF-8 text (a list of feed URLs, one a line)") from None
    urls = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not web_url(line):
            raise InputError(f"{item}:{number}", "not an http(s) URL")
        urls.append(line)
    return urls


def opml_urls(raw: bytes, item: str) -> list[str]:
    """The ``xmlUrl`` of every outline, nested ones included (OPML 2.0's subscription lists)."""
    import lxml.etree

    # No entities resolved and nothing fetched: an OPML file is read, never followed.
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = lxml.etree.fromstring(raw, parser)
    except lxml.etree.XMLSyntaxError as err:
        raise InputError(item, f"malformed OPML: {err}") from None
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise InputError(item, f"not an OPML file (its root is <{root.tag}>)")
    urls = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue  # a folder of outlines, or a link that is not a feed
        if not web_url(url):
            raise InputError(item, f"an outline's xmlUrl is not an http(s) URL: {url[:100]}")
        urls.append(url)
    return urls


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> Feed:
    """The entries of an RSS or Atom document fetched from ``url`` (relative links resolved against
    it; ``content_type`` as the server sent it). A feed with small errors that still yields items
    is read (feedparser's lenient parser); one that yields nothing raises."""
    import feedparser

    headers = {"content-location": url, **({"content-type": content_type} if content_type else {})}
    # A stream, not the bytes: feedparser takes a str or bytes argument for a URL or a file name first.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    title = clean(parsed.feed.get("title"))
    outlet = title or urllib.parse.urlsplit(url).hostname
    entries, errors = [], []
    for number, item in enumerate(parsed.entries, start=1):
        link = (item.get("link") or "").strip()
        link = urllib.parse.urljoin(url, link) if link else ""
        if not web_url(link):
            errors.append(InputError(f"{url} item {number}", "no http(s) link to an article"))
            continue
        entries.append(
            Entry(
                feed=url,
                url=link,
                guid=clean(item.get("id")) or link,
                title=clean(item.get("title")),
                published=iso_date(item.get("published_parsed") or item.get("updated_parsed")),
                outlet=outlet,
            )
        )
    if not entries and (parsed.bozo or not parsed.version):
        problem = str(parsed.get("bozo_exception") or "no RSS or Atom elements")
        problem = re.sub(r"^<unknown>:(\d+):(\d+):", r"line \1, column \2:", problem)  # expat's position
        raise InputError(url, f"not an RSS or Atom feed: {one_line(problem)}")
    return Feed(url=url, title=title, entries=entries, errors=errors)


def clean(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    return text or None


def one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def iso_date(parsed) -> str | None:
    """feedparser's UTC time tuple as ISO 8601."""
    if not parsed:
        return None
    try:
        return datetime.datetime(*parsed[:6], tzinfo=datetime.UTC).isoformat()
    except (TypeError, ValueError):  # a date feedparser read but no calendar has (day 0, month 13)
        return None
