"""A fetched article page made a record: its text, title and date through the project's HTML
extraction, under an id taken from its canonical URL, so that one article reached by two links
(a feed's tracking parameters, a mobile host) is one record."""

from __future__ import annotations

import contextlib
import hashlib
import urllib.parse

from itnews.core.record import InputError, Record
from itnews.ingest.html import extract_article
from itnews.ingest.read import decode_bytes
from itnews.monitor.feeds import Entry, web_url
from itnews.monitor.fetch import Fetched, media_type


def article_record(entry: Entry, page: Fetched) -> Record:
    """The record of ``entry``'s page: ``source`` is its canonical URL, ``id`` a hash of it; title,
    outlet and date from the page, else the feed."""
    if page.content is None:
        raise InputError(entry.url, "no page content to read (not modified)")
    warnings: list[str] = []
    html = decode_page(page.content, page.content_type, entry.url, warnings)
    canonical = canonical_url(html, page.final_url)
    article = extract_article(html, entry.url)
    return Record(
        id=record_id(canonical),
        title=article.title or entry.title,
        text=article.text,
        source=canonical,
        outlet=entry.outlet,
        published=entry.published or article.date,
        warnings=warnings,
    )


def record_id(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def decode_page(raw: bytes, content_type: str | None, item: str, warnings: list[str]) -> str:
    """UTF-8 when the bytes are UTF-8, whatever the header says (UTF-8 pages labelled Latin-1 are
    common); else the charset the header declares; else the likeliest Western European code page."""
    _, charset = media_type(content_type)
    if charset and b"\x00" not in raw[:8192]:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                return raw.decode(charset)
    return decode_bytes(raw, item, warnings)


def canonical_url(html: str, final_url: str) -> str:
    """The page's ``<link rel=canonical>``, else its ``og:url``, resolved against where it was
    fetched from; taken only on the page's own site, so that no page can claim another outlet's
    article. trafilatura's own URL metadata drops relative links and og:url, so it is read here."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.ParserError):
        return normal_url(final_url)
    links = [
        link.get("href", "")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    graph = [meta.get("content", "") for meta in tree.iter("meta") if meta.get("property") == "og:url"]
    for candidate in links + graph:
        resolved = urllib.parse.urljoin(final_url, candidate.strip())
        if web_url(resolved) and same_site(resolved, final_url):
            return normal_url(resolved)
    return normal_url(final_url)


def same_site(url: str, other: str) -> bool:
    """The same host's last two labels (www. and m. hosts of one outlet): the registrable domain
    for .it and .com; wider only under two-label suffixes such as .co.uk."""

    def site(address: str) -> list[str]:
        return (urllib.parse.urlsplit(address).hostname or "").split(".")[-2:]

    return site(url) == site(other)


def normal_url(url: str) -> str:
    """Scheme and host in lower case, no default port, user or fragment: one spelling per page."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port if parts.port not in (None, {"http": 80, "https": 443}.get(scheme)) else None
    netloc = f"{host}:{port}" if port else host
    return urllib.parse.urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
