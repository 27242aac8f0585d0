"""A local news site for the monitor's tests: RSS and Atom feeds and article pages made from the
story corpus (`corpus/stories/`, one feed per outlet, dated as labelled) and the corpus
(`corpus/articles/`, one feed, a day apart), with every fault `itnews watch` must survive.

`FeedServer()` serves on a free loopback port in a thread (stdlib ThreadingHTTPServer) until `close`.
Feeds list the articles given (all by default) and grow with `publish`; `revise` changes an item's
title and text. Feeds and pages carry an ETag and Last-Modified and answer 304 to a conditional GET.
Every request is logged (path, arrival time on `time.monotonic`, headers) in `requests`.

Paths:
- ``/feeds/<outlet>.rss`` and ``.atom`` (outlet: the id suffix, e.g. ``corriere``), ``/feeds/all.rss``,
  ``/feeds/corpus.rss``; ``/feeds/untitled.rss`` (no channel title); ``/feeds/nolink.rss`` (an item
  without a link); ``/feeds/bozo.rss`` (an undefined entity: malformed, entries still readable);
  ``/feeds/malformed.rss`` (broken XML, nothing readable); ``/feeds/page.rss`` (an HTML page);
  ``/feeds/down.rss`` (503).
- ``/articles/<id>.html`` (story corpus), ``/corpus/<id>.html`` (corpus), ``/latin1/<id>.html`` (a
  story page in Windows-1252, declared in the header), ``/undated/<id>.html`` (its feed item has no
  date: ``/feeds/undated.rss``), ``/foreign/<id>.html`` (its canonical link names another site).
- ``/robots.txt``: ``robots`` (None: 404; an int: that status); it disallows ``/private/``.
- ``/faults/``: ``missing`` (404), ``error`` (500), ``slow`` (answers after ``slow_seconds``),
  ``trickle`` (a byte every 0.2 s), ``huge`` (3 MB, Content-Length given), ``huge-unsized`` (3 MB,
  no length), ``document.pdf`` (application/pdf), ``binary.html`` (NUL bytes served as HTML),
  ``menu.html`` (only links), ``loop-a`` <-> ``loop-b`` (redirect loop), ``hops/<n>`` (n redirects,
  then an article), ``to-file`` (redirect to a file: URL).
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import hashlib
import html
import http.server
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .conftest import CORPUS

STORIES = CORPUS / "stories"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
HUGE_BYTES = 3_000_000
CORPUS_START = datetime.date(2025, 10, 1)  # the corpus articles are dated a day apart from here


@dataclass
class Article:
    id: str
    title: str
    paragraphs: list[str]
    outlet: str
    feed: str  # the outlet feed that lists it
    published: datetime.datetime
    path: str  # where its page is served
    page: bytes | None = None  # a page served as it is (the corpus's own HTML files)


@dataclass
class Request:
    path: str
    time: float  # time.monotonic() on arrival
    headers: dict = field(default_factory=dict)


def story_articles() -> list[Article]:
    articles = []
    for line in (STORIES / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        title, *paragraphs = split_text((STORIES / label["path"]).read_text(encoding="utf-8"))
        day = datetime.date.fromisoformat(label["date"])
        published = datetime.datetime.combine(day, datetime.time(8), datetime.UTC)
        feed = label["id"].split("-", 1)[1]
        articles.append(
            Article(
                label["id"],
                title,
                paragraphs,
                label["outlet"],
                feed,
                published,
                f"/articles/{label['id']}.html",
            )
        )
    return articles


def corpus_articles() -> list[Article]:
    articles = []
    for number, line in enumerate((CORPUS / "index.jsonl").read_text(encoding="utf-8").splitlines()):
        entry = json.loads(line)
        day = CORPUS_START + datetime.timedelta(days=number)
        published = datetime.datetime.combine(day, datetime.time(9), datetime.UTC)
        file = CORPUS / entry["path"]
        article = Article(
            entry["id"], entry["title"], [], "Corpus", "corpus", published, f"/corpus/{entry['id']}.html"
        )
        if file.suffix == ".html":
            article.page = file.read_bytes()
        else:
            # One file is Windows-1252 on purpose; the site serves UTF-8.
            raw = file.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            article.title, *article.paragraphs = split_text(text)
        articles.append(article)
    return articles


def split_text(text: str) -> list[str]:
    """Headline, then paragraphs (blank lines between them, as the corpus files have them)."""
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


class FeedServer:
    def __init__(
        self, listed: list[str] | None = None, robots: str | int | None = ROBOTS, slow_seconds: float = 3
    ):
        self.articles = {article.id: article for article in story_articles() + corpus_articles()}
        self.listed = list(self.articles) if listed is None else list(listed)
        self.robots = robots
        self.slow_seconds = slow_seconds
        self.requests: list[Request] = []
        self.failing: set[str] = set()  # articles whose pages answer 500 for now (their feeds unchanged)
        self.lock = threading.Lock()
        self.changed = time.time()  # Last-Modified of every feed and page: the last publish or revision
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, ids: list[str]) -> None:
        """List more articles in their feeds (the feeds grow)."""
        with self.lock:
            self.listed += [article_id for article_id in ids if article_id not in self.listed]
            self.touch()

    def revise(self, article_id: str, title: str, paragraph: str) -> None:
        """A new title for the item and its page, and a paragraph added to the page."""
        with self.lock:
            article = self.articles[article_id]
            article.title = title
            article.paragraphs = [*article.paragraphs, paragraph]
            self.touch()

    def touch(self) -> None:
        # Last-Modified has whole seconds: a change within the same second must still read as later.
        self.changed = max(time.time(), int(self.changed) + 1)

    def paths(self, prefix: str = "") -> list[Request]:
        with self.lock:
            return [request for request in self.requests if request.path.startswith(prefix)]

    def closed_url(self) -> str:
        """A URL on a loopback port where nothing listens: connections are refused."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}/feeds/all.rss"

    # What is served.

    def feed_articles(self, name: str) -> list[Article]:
        listed = [self.articles[article_id] for article_id in self.listed]
        if name in ("all", "untitled"):
            return [article for article in listed if article.feed != "corpus"]
        return [article for article in listed if article.feed == name]

    def rss(self, name: str, title: str | None, items: list[Article], dated: bool = True) -> str:
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<rss version="2.0"><channel>']
        if title:
            lines.append(f"<title>{escape(title)}</title>")
        lines.append(f"<link>{self.url}/</link><description>Notizie: {escape(name)}</description>")
        for article in items:
            lines.append(
                f"<item><title>{escape(article.title)}</title>"
                f"<link>{self.url}{article.path}?utm_source=rss</link>"
                f'<guid isPermaLink="false">{article.id}</guid>'
                + (
                    f"<pubDate>{email.utils.format_datetime(article.published, usegmt=True)}</pubDate>"
                    if dated
                    else ""
                )
                + f"<description>{escape((article.paragraphs or [article.title])[0])}</description></item>"
            )
        lines.append("</channel></rss>")
        return "\n".join(lines)

    def atom(self, title: str, items: list[Article]) -> str:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{escape(title)}</title><id>urn:itnews-test:{escape(title)}</id>",
            f"<updated>{datetime.datetime.fromtimestamp(self.changed, datetime.UTC).isoformat()}</updated>",
        ]
        for article in items:
            # A relative link: feed readers resolve it against the feed's URL.
            lines.append(
                f"<entry><title>{escape(article.title)}</title><link href={quoteattr(article.path)}/>"
                f"<id>urn:itnews-test:{article.id}</id><published>{article.published.isoformat()}</published>"
                f"<updated>{article.published.isoformat()}</updated></entry>"
            )
        lines.append("</feed>")
        return "\n".join(lines)

    def feed(self, file: str) -> tuple[int, str, bytes] | None:
        name, _, kind = file.partition(".")
        outlets = {article.feed: article.outlet for article in self.articles.values()}
        if name in outlets or name == "all":
            title = outlets.get(name, "Tutte le notizie")
            items = self.feed_articles(name)
            body = self.rss(name, title, items) if kind == "rss" else self.atom(title, items)
        elif name == "untitled":
            body = self.rss(name, None, self.feed_articles(name)[:3])
        elif name == "undated":
            body = self.rss(name, "Senza data", [self.undated()], dated=False)
        elif name == "nolink":
            good = self.rss(name, "Senza link", self.feed_articles("corriere")[:1])
            body = good.replace("</channel>", "<item><title>Solo un titolo</title></item></channel>")
        elif name == "bozo":
            body = self.rss(name, "Entità", self.feed_articles("gazzetta")[:2]).replace(
                "</title>", "&nbsp;</title>", 1
            )
        elif name == "malformed":
            body = '<?xml version="1.0"?><rss version="2.0"><channel><title>Rotto</title><item><title>a</ti'
        elif name == "page":
            body = (
                "<!doctype html><html><head><title>Non un feed</title></head><body><p>Ciao</p></body></html>"
            )
        elif name == "down":
            return 503, "text/plain", b"Service Unavailable"
        else:
            return None
        kinds = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
        return 200, f"{kinds.get(kind, 'application/xml')}; charset=utf-8", body.encode("utf-8")

    def undated(self) -> Article:
        article = self.articles["s02-corriere"]
        return Article(**{**vars(article), "path": f"/undated/{article.id}.html"})

    def page(self, article: Article, canonical: str | None = None) -> str:
        canonical = canonical or f"/articles/{article.id}.html"
        paragraphs = "\n".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in article.paragraphs)
        sections = " ".join(
            f'<a href="/{name}">{name.title()}</a>' for name in ("politica", "economia", "sport")
        )
        return (
            '<!doctype html><html lang="it"><head><meta charset="utf-8">'
            f"<title>{html.escape(article.title)} | {html.escape(article.outlet)}</title>"
            f'<meta property="og:title" content="{html.escape(article.title)}">'
            f'<link rel="canonical" href="{html.escape(canonical)}">'
            f'<meta property="article:published_time" content="{article.published.isoformat()}">'
            f"</head><body><nav>{sections}</nav><main><article><h1>{html.escape(article.title)}</h1>"
            f"{paragraphs}</article></main><footer>© {html.escape(article.outlet)}</footer>"
            "</body></html>"
        )

    def article_page(self, folder: str, file: str) -> tuple[int, str, bytes] | None:
        article = self.articles.get(file.removesuffix(".html"))
        if article is None or not file.endswith(".html"):
            return None
        if folder == "corpus" and article.feed == "corpus":
            body = article.page or self.page(article, canonical=article.path).encode("utf-8")
            return 200, "text/html; charset=utf-8", body
        if article.feed == "corpus":
            return None
        if article.id in self.failing:
            return 500, "text/plain", b"Internal Server Error"
        if folder == "articles":
            return 200, "text/html; charset=utf-8", self.page(article).encode("utf-8")
        if folder == "latin1":
            encoded = self.page(article).replace('charset="utf-8"', "").encode("cp1252", "xmlcharrefreplace")
            return 200, "text/html; charset=windows-1252", encoded
        if folder == "undated":
            return 200, "text/html; charset=utf-8", self.page(article).encode("utf-8")
        if folder == "foreign":
            body = self.page(article, canonical=f"https://altro.example/{article.id}")
            return 200, "text/html; charset=utf-8", body.encode("utf-8")
        return None


def handler_for(site: FeedServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the request log is `site.requests`
            pass

        def do_GET(self) -> None:
            with site.lock:
                site.requests.append(Request(self.path, time.monotonic(), dict(self.headers)))
            # The client gave up (a timeout, a size limit): what the faults are for.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.route(self.path.split("?", 1)[0])

        def route(self, path: str) -> None:
            folder, _, rest = path.strip("/").partition("/")
            if path == "/robots.txt":
                if isinstance(site.robots, str):
                    return self.send(200, "text/plain", site.robots.encode())
                return self.send(site.robots or 404, "text/plain", b"no robots.txt")
            if folder == "faults":
                return self.fault(rest)
            with site.lock:
                answer = site.feed(rest) if folder == "feeds" else site.article_page(folder, rest)
            if answer is None:
                return self.send(404, "text/plain", b"not found")
            self.send(*answer, conditional=True)

        def fault(self, name: str) -> None:
            if name == "missing":
                return self.send(404, "text/plain", b"not found")
            if name == "error":
                return self.send(500, "text/plain", b"internal error")
            if name == "slow":
                time.sleep(site.slow_seconds)
                return self.send(200, "text/html", site.page(site.articles["s01-corriere"]).encode())
            if name == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
                return None
            if name in ("huge", "huge-unsized"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if name == "huge":
                    self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                block = b"<p>" + b"parola " * 1000 + b"</p>\n"
                for _ in range(HUGE_BYTES // len(block)):
                    self.wfile.write(block)
                return None
            if name == "document.pdf":
                return self.send(
                    200, "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 40
                )
            if name == "binary.html":
                return self.send(200, "text/html", b"<html>\x00\x01\x02" + bytes(range(256)) * 40)
            if name == "menu.html":
                links = "".join(f'<li><a href="/s/{n}">Sezione {n} del giornale</a></li>' for n in range(40))
                return self.send(200, "text/html", f"<html><body><ul>{links}</ul></body></html>".encode())
            if name in ("loop-a", "loop-b"):
                return self.redirect("/faults/loop-b" if name == "loop-a" else "/faults/loop-a")
            if name.startswith("hops/"):
                left = int(name.removeprefix("hops/"))
                return self.redirect(
                    f"/faults/hops/{left - 1}" if left > 1 else "/articles/s01-corriere.html"
                )
            if name == "to-file":
                return self.redirect("file:///etc/passwd")
            return self.send(404, "text/plain", b"not found")

        def redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def send(self, status: int, content_type: str, body: bytes, conditional: bool = False) -> None:
            if conditional and status == 200:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = int(site.changed)
                if self.not_modified(etag, modified):
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if conditional and status == 200:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", http_date(modified))
            self.end_headers()
            self.wfile.write(body)

        def not_modified(self, etag: str, modified: int) -> bool:
            """RFC 9110 13.1: If-None-Match decides when it is there, else If-Modified-Since."""
            if "If-None-Match" in self.headers:
                return etag in [tag.strip() for tag in self.headers["If-None-Match"].split(",")]
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return modified <= email.utils.parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

    return Handler
