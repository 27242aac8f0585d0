"""`itnews watch` against a local news site (tests/feed_server.py): how often it asks one host.

The command runs as a user runs it (`itnews watch FEEDS --store ... --once --delay D
--allow-private`) on one feed per outlet of the story corpus, all served from one host; the
server logs each request's arrival. Reported per delay: the requests (robots.txt, feeds, pages),
the shortest and the median gap between two arrivals, and the pass's wall time. Then a second
pass with nothing new: the requests it made and how many were answered 304.

    python eval/watch_politeness.py [DELAY ...]      (default: 1 0.2)

Its figures are recorded in eval/WATCH-POLITENESS.md.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.feed_server import FeedServer, story_articles  # noqa: E402  (the tests' news site)

STORIES = ("s01", "s02", "s03")  # 14 articles over 7 outlets' feeds: 22 requests to one host


def watch(site: FeedServer, store: Path, delay: float) -> float:
    feeds = [f"{site.url}/feeds/{outlet}.rss" for outlet in sorted({a.feed for a in story_articles()})]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "itnews.cli", "watch", *feeds, "--store", str(store), "--once",
         "--delay", str(delay), "--allow-private", "--lang", "it"],
        check=True, cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def main(delays: list[float]) -> None:
    rows = []
    for delay in delays:
        listed = [a.id for a in story_articles() if a.id.split("-")[0] in STORIES]
        with FeedServer(listed=listed) as site, tempfile.TemporaryDirectory() as folder:
            wall = watch(site, Path(folder) / "news.db", delay)
            arrivals = [request.time for request in site.requests]
            gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
            first = len(site.requests)
            watch(site, Path(folder) / "news.db", delay)
            again = site.requests[first:]
            conditional = sum("If-None-Match" in r.headers or "if-none-match" in r.headers for r in again)
        rows.append(
            f"| {delay:g} | {len(arrivals)} | {min(gaps):.3f} | {statistics.median(gaps):.3f} | {wall:.1f} "
            f"| {len(again)} | {conditional} |"
        )
        print(rows[-1], flush=True)
    command = " ".join(["python eval/watch_politeness.py", *sys.argv[1:]])
    report = f"""# `itnews watch`: requests to one host

Command: `{command}`; the machine: {os.cpu_count()} cores.

`itnews watch` on the test news site (tests/feed_server.py, one host on loopback): one RSS feed per
outlet of the story corpus listing the {len(listed)} articles of stories {", ".join(STORIES)}. First
pass: robots.txt, the feeds and every page. Second pass, nothing new: what it asked again (a new
process reads robots.txt again; each feed asked with its ETag, and answered 304).

| --delay (s) | requests | shortest gap (s) | median gap (s) | wall (s) | pass 2: requests | conditional |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

The gap is between two requests' arrivals at the server; `--delay` counts from the end of one
answer to the start of the next request to that host, so the gap is the delay plus the time to answer.
"""
    (REPO / "eval" / "WATCH-POLITENESS.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main([float(arg) for arg in sys.argv[1:]] or [1.0, 0.2])
