"""Fetching feeds and pages over HTTP, politely and with guards (httpx).

- Only http(s); every address a host resolves to is checked, on every redirect hop, and private,
  loopback, link-local, reserved and multicast ones are refused unless ``allow_private``. The request
  then goes to the address that was checked (the host name still in ``Host`` and in TLS's SNI and
  certificate check), so a second DNS answer cannot swap in another address (DNS rebinding).
- Redirects are followed here, not by httpx, so that each hop gets those checks and robots.txt;
  a loop and more than ``max_redirects`` hops are errors.
- A deadline, not only a per-read timeout, and a byte cap on the body as it streams in.
- Politeness: one request at a time per host, each starting at least ``delay`` seconds (or the
  host's robots.txt Crawl-delay, if larger) after the previous one to that host ended; robots.txt
  fetches count.
- robots.txt (`urllib.robotparser`), fetched once per site and kept for a day; a missing one
  (4xx) allows everything (RFC 9309).
- Conditional GET: ``etag`` and ``last_modified`` from the previous answer; 304 is ``not_modified``.

Every problem raises `FetchError(url, reason)` with a one-line reason; nothing prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import socket
import threading
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass
from email.message import Message
from importlib import metadata

from itnews.core.record import InputError
from itnews.ingest.read import looks_like_html

ROBOTS_AGENT = "itnews"  # the product token robots.txt groups name
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 2.5: at least 500 KiB of a robots.txt is parsed
ROBOTS_TTL = 24 * 3600  # RFC 9309 2.4: a cached robots.txt is used for at most 24 hours
REDIRECTS = {301, 302, 303, 307, 308}
HTML_TYPES = {"text/html", "application/xhtml+xml"}


class FetchError(InputError):
    """A URL that could not be fetched, and why (one line)."""


@dataclass
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content: bytes | None  # None when not modified
    content_type: str | None  # the header as sent, e.g. "text/html; charset=utf-8"
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """The media type and charset of a Content-Type header, lower case."""
    if not content_type:
        return None, None
    header = Message()
    header["content-type"] = content_type
    charset = header.get_param("charset")
    return header.get_content_type(), charset.lower() if isinstance(charset, str) else None


def refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not a public unicast address: private, loopback, link-local, shared, reserved, multicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


class HostTurns:
    """One request at a time per host, each starting a delay after the previous one ended."""

    def __init__(self):
        self.guard = threading.Lock()
        self.hosts: dict[str, tuple[threading.Lock, list[float]]] = {}

    @contextlib.contextmanager
    def turn(self, host: str, delay: float):
        with self.guard:
            lock, free_at = self.hosts.setdefault(host, (threading.Lock(), [0.0]))
        with lock:
            time.sleep(max(0.0, free_at[0] - time.monotonic()))
            try:
                yield
            finally:
                free_at[0] = time.monotonic() + delay


class Fetcher:
    """Fetches URLs with the guards above; `close` it (or use it as a context manager) when done."""

    def __init__(
        self,
        delay: float = 1.0,
        timeout: float = 10.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        allow_private: bool = False,
    ):
        import httpx

        self.delay, self.timeout, self.max_bytes = delay, timeout, max_bytes
        self.max_redirects, self.allow_private = max_redirects, allow_private
        self.turns = HostTurns()
        self.robots_lock = threading.Lock()
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        # No kept-alive connections: requests go to an address, not a name, and a TLS connection made
        # for one host must not carry another's; at one request per host per second they gain little.
        # No proxies or .netrc from the environment: the address checked is the address connected to.
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": f"{ROBOTS_AGENT}/{metadata.version('itnews')}"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def get(
        self, url: str, etag: str | None = None, last_modified: str | None = None, html_only: bool = False
    ) -> Fetched:
        """The answer for ``url`` after redirects. ``etag``/``last_modified``: a conditional GET.
        ``html_only``: anything but an HTML page is an error, found before its body is read."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        fetched = self.follow(url, headers, self.max_bytes, html_only, robots=True)
        if fetched.status >= 400:
            raise FetchError(url, f"HTTP {fetched.status}")
        return fetched

    def follow(self, url: str, headers: dict, limit: int, html_only: bool, robots: bool) -> Fetched:
        seen = []
        current = url
        while True:
            parts = urllib.parse.urlsplit(current)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise FetchError(url, f"only http(s): {current[:100]}")
            seen.append(current)
            if robots and not self.robots_allow(url, current):
                raise FetchError(url, "disallowed by robots.txt")
            fetched, location = self.exchange(url, current, headers, limit, html_only)
            if location is None:
                return fetched
            current = urllib.parse.urljoin(current, location)
            if current in seen:
                raise FetchError(url, "redirect loop")
            if len(seen) > self.max_redirects:
                raise FetchError(url, f"too many redirects (over {self.max_redirects})")

    def robots_allow(self, url: str, target: str) -> bool:
        parts = urllib.parse.urlsplit(target)
        site = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self.robots_lock:
            rules = self.robots.get(site)
            if rules is None or time.time() - rules.mtime() > ROBOTS_TTL:
                rules = self.robots[site] = self.fetch_robots(url, site)
        return rules.can_fetch(ROBOTS_AGENT, target)

    def fetch_robots(self, url: str, site: str) -> urllib.robotparser.RobotFileParser:
        """A site's rules. A failure to reach it raises (it is not kept: the next page tries again);
        a server error answering it too (RFC 9309 2.3.1.4: assume everything disallowed, for now)."""
        rules = urllib.robotparser.RobotFileParser(f"{site}/robots.txt")
        try:
            fetched = self.follow(f"{site}/robots.txt", {}, ROBOTS_MAX_BYTES, html_only=False, robots=False)
        except FetchError as err:  # told of the page asked for: the site is down, timed out, refused
            raise FetchError(url, err.reason) from None
        if fetched.status >= 500:
            raise FetchError(url, f"robots.txt: HTTP {fetched.status}")
        if fetched.status >= 400:
            rules.allow_all = True
            rules.modified()
        else:
            rules.parse((fetched.content or b"").decode("utf-8", "replace").splitlines())
        return rules

    def host_delay(self, target: str) -> float:
        parts = urllib.parse.urlsplit(target)
        rules = self.robots.get(f"{parts.scheme.lower()}://{parts.netloc.lower()}")
        crawl_delay = rules.crawl_delay(ROBOTS_AGENT) if rules is not None else None
        return max(self.delay, float(crawl_delay or 0))

    def addresses(self, url: str, host: str, port: int) -> list[str]:
        """The host's addresses, each checked."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as err:
            raise FetchError(url, f"cannot resolve {host}: {err}") from None
        found = list(dict.fromkeys(info[4][0] for info in infos))
        if not self.allow_private:
            for address in found:
                if refused(ipaddress.ip_address(address.split("%")[0])):
                    raise FetchError(url, f"private address {address} refused (--allow-private)")
        return found

    def exchange(
        self, url: str, target: str, headers: dict, limit: int, html_only: bool
    ) -> tuple[Fetched, str | None]:
        """One request; the answer, and where it redirects to (None if it does not)."""
        import httpx

        try:
            parts = httpx.URL(target)
            host = parts.raw_host.decode("ascii")
        except (httpx.InvalidURL, UnicodeError) as err:
            raise FetchError(url, f"invalid URL: {err}") from None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self.addresses(url, host, port)
        with self.turns.turn(host.lower(), self.host_delay(target)):
            problem = "no address"
            for address in addresses:
                try:
                    return self.request(url, target, parts, host, address, headers, limit, html_only)
                except httpx.ConnectError as err:
                    problem = one_line(str(err)) or type(err).__name__
            raise FetchError(url, f"cannot connect: {problem}")

    def request(
        self, url, target, parts, host, address, headers, limit, html_only
    ) -> tuple[Fetched, str | None]:
        import httpx

        started = time.monotonic()
        sent = {"Host": parts.netloc.decode("ascii"), **headers}
        try:
            with self.client.stream(
                "GET", parts.copy_with(host=address), headers=sent, extensions={"sni_hostname": host}
            ) as response:
                return self.answer(url, target, response, started, limit, html_only)
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out after {self.timeout:g} s") from None
        except httpx.ConnectError:
            raise
        except httpx.HTTPError as err:
            raise FetchError(url, one_line(f"{type(err).__name__}: {err}")) from None

    def answer(self, url, target, response, started, limit, html_only) -> tuple[Fetched, str | None]:
        status = response.status_code
        fetched = Fetched(
            url=url,
            final_url=target,
            status=status,
            content=None,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            not_modified=status == 304,
        )
        if status in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise FetchError(url, f"HTTP {status} without a Location")
            return fetched, location
        if status == 304 or status >= 400:
            return fetched, None
        media, _ = media_type(fetched.content_type)
        if html_only and media and media not in HTML_TYPES:
            raise FetchError(url, f"not HTML ({media})")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise FetchError(url, f"larger than {limit / 1e6:g} MB")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(url, f"larger than {limit / 1e6:g} MB")
            if time.monotonic() - started > self.timeout:
                raise FetchError(url, f"timed out after {self.timeout:g} s")
            chunks.append(chunk)
        content = b"".join(chunks)
        if html_only and not media and not looks_like_html(content):
            raise FetchError(url, "not HTML")
        return dataclasses.replace(fetched, content=content), None


def one_line(text: str) -> str:
    return " ".join(text.split())[:200]
