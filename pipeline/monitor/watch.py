"""One pass of `itnews watch`: the feeds read, their new articles fetched, summarised and stored, the
stories they touch brought up to date.

The pass is the runner's usual shape (`itnews.core.runner.run`): a source (`FeedArticles`: each feed
by conditional GET, each new item's page, made a record), the summary chain the command built, and a
sink (`StoreSink`: the store). Fetch errors are error records like any other bad input: one line on
stderr and an error row in the store, and the pass goes on.

What a kill at any point leaves: articles are stored in transactions; a feed's ETag/Last-Modified
are saved only after the pass has stored its articles, so a killed pass reads the feed again next
time and skips the items stored already: nothing lost, nothing twice.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from itnews.core.console import report_failed
from itnews.core.record import InputError, Record
from itnews.monitor.articles import article_record
from itnews.monitor.feeds import Entry, parse_feed
from itnews.monitor.fetch import Fetcher
from itnews.monitor.store import FeedState, Store

PAGE_WORKERS = 8  # pages fetched at once: of different hosts, as each host's turns allow one at a time


@dataclass
class PassResult:
    feeds: int = 0
    unchanged: int = 0  # answered 304: not modified since the last pass
    new: int = 0  # articles stored
    failed: int = 0  # feeds, items and pages that could not be read
    stories: list[str] = field(default_factory=list)  # ids of the stories that changed

    def line(self) -> str:
        return (
            f"{self.feeds} feeds ({self.unchanged} unchanged), {self.new} new articles, "
            f"{self.failed} failed, {len(self.stories)} stories changed"
        )


def failed_record(item: str, reason: str) -> Record:
    return Record(id=item, source=item).fail(item, reason)


class FeedArticles:
    """The source of a pass: the new items of ``feeds`` as records, in feed order; a feed, item or
    page that cannot be read is an error record. ``states`` collects each feed's state (its
    validators, or its error), saved by the pass once its articles are stored; ``links`` each
    article's feed link, by record id."""

    def __init__(self, feeds: list[str], store_path: Path, fetcher: Fetcher):
        self.feeds, self.store_path, self.fetcher = feeds, store_path, fetcher
        self.states: dict[str, FeedState] = {}
        self.links: dict[str, str] = {}
        self.unchanged = 0

    def __iter__(self):
        # The runner reads its source in a thread of its own: this store connection is that thread's.
        with Store(self.store_path) as store:
            entries = list(self.new_entries(store))
        with concurrent.futures.ThreadPoolExecutor(PAGE_WORKERS) as pool:
            yield from pool.map(self.page_record, entries)

    def new_entries(self, store: Store):
        seen: set[str] = set()
        for url in self.feeds:
            before = store.feed_state(url) or FeedState(url)
            try:
                answer = self.fetcher.get(url, etag=before.etag, last_modified=before.last_modified)
                if answer.not_modified:
                    self.unchanged += 1
                    self.states[url] = dataclasses.replace(before, last_error=None)
                    continue
                feed = parse_feed(answer.content, url, answer.content_type)
            except InputError as err:
                self.states[url] = dataclasses.replace(before, last_error=err.reason)
                yield failed_record(err.item, err.reason)
                continue
            self.states[url] = FeedState(url, feed.title, answer.etag, answer.last_modified)
            for error in feed.errors:
                yield failed_record(error.item, error.reason)
            for entry in feed.entries:
                if entry.url not in seen and not store.known_url(entry.url):
                    seen.add(entry.url)
                    yield entry

    def page_record(self, entry: Entry | Record) -> Record:
        if isinstance(entry, Record):
            return entry
        try:
            record = article_record(entry, self.fetcher.get(entry.url, html_only=True))
        except InputError as err:
            return failed_record(err.item, err.reason)
        self.links[record.id] = entry.url
        return record


class StoreSink:
    """The sink of a pass: each good record stored (once: the store drops a republished one), each
    bad one reported on one line and kept as an error row."""

    done: frozenset[str] = frozenset()

    def __init__(self, store: Store, result: PassResult, links: dict[str, str]):
        self.store, self.result, self.links = store, result, links

    def write(self, records: list[Record]) -> None:
        for record in records:
            if not record.ok:
                report_failed(record)
                self.store.add_error(record.source or record.id, record.error or "")
                self.result.failed += 1
        good = [record for record in records if record.ok]
        self.result.new += len(self.store.add_articles(good))
        self.store.add_links({self.links[r.id]: r.source for r in good if r.id in self.links})

    def close(self, finalise: bool = True) -> None:
        pass


def watch_pass(
    feeds: list[str], store_path: Path, chain: list, fetcher: Fetcher, window_days: int, words: int, run
) -> PassResult:
    """One pass over ``feeds`` into the store at ``store_path``: ``chain`` (clean, then the summary
    steps) on each new article, its summary steps on each story that changed (as `digest` runs
    them); ``run`` is the runner (`itnews.core.runner.run`, or the CLI's wrapper of it)."""
    result = PassResult(feeds=len(feeds))
    source = FeedArticles(feeds, store_path, fetcher)
    with Store(store_path) as store:
        run(source, chain, StoreSink(store, result, source.links), unique_ids=False)
        for state in source.states.values():
            store.set_feed_state(state)
        result.unchanged = source.unchanged
        result.stories = store.update_stories(window_days, words, chain[1:])
    return result
