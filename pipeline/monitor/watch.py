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

from itnews.core.console import report, report_failed
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
    interrupted: bool = False  # Ctrl-C: the pass stopped after its current batch

    def line(self) -> str:
        return (
            f"{self.feeds} feeds ({self.unchanged} unchanged), {self.new} new articles, "
            f"{self.failed} failed, {len(self.stories)} stories changed"
        )


def failed_record(item: str, reason: str) -> Record:
    return Record(id=item, source=item).fail(item, reason)


class FeedArticles:
    """The source of a pass: the new items of ``feeds`` as records, in feed order; a feed, item or
    page that cannot be read is an error record. Collected on the way, for the pass to save once its
    articles are stored: each feed's state (`states`), each record's feed and item (`items`, by
    record id), and the known items whose title changed since they were stored (`changed`)."""

    def __init__(self, feeds: list[str], store_path: Path, fetcher: Fetcher):
        self.feeds, self.store_path, self.fetcher = feeds, store_path, fetcher
        self.states: dict[str, FeedState] = {}
        self.items: dict[str, Entry] = {}
        self.changed: list[Entry] = []
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
                if entry.url in seen:
                    continue
                seen.add(entry.url)
                if not store.known_url(entry.url):
                    yield entry
                elif entry.title and store.link_title(entry.url) not in (None, entry.title):
                    self.changed.append(entry)

    def page_record(self, entry: Entry | Record) -> Record:
        if isinstance(entry, Record):
            return entry
        try:
            record = article_record(entry, self.fetcher.get(entry.url, html_only=True))
        except InputError as err:
            record = failed_record(err.item, err.reason)
        self.items[record.id] = entry
        return record


class StoreSink:
    """The sink of a pass: each good record stored (once: the store drops a republished one), each
    bad one reported on one line and kept as an error row; ``incomplete`` collects the feeds with
    an item that failed."""

    done: frozenset[str] = frozenset()

    def __init__(self, store: Store, result: PassResult, items: dict[str, Entry]):
        self.store, self.result, self.items = store, result, items
        self.incomplete: set[str] = set()

    def write(self, records: list[Record]) -> None:
        for record in records:
            if not record.ok:
                report_failed(record)
                self.store.add_error(record.source or record.id, record.error or "")
                self.result.failed += 1
                if record.id in self.items:
                    self.incomplete.add(self.items[record.id].feed)
        good = [record for record in records if record.ok]
        self.result.new += len(self.store.add_articles(good))
        self.store.add_links(
            [(self.items[r.id].url, r.source, self.items[r.id].title) for r in good if r.id in self.items]
        )

    def close(self, finalise: bool = True) -> None:
        pass


def watch_pass(
    feeds: list[str], store_path: Path, chain: list, fetcher: Fetcher, window_days: int, words: int, run
) -> PassResult:
    """One pass over ``feeds`` into the store at ``store_path``: ``chain`` (clean, then the summary
    steps) on each new article, its summary steps on each story that changed (as `digest` runs
    them); ``run`` is the runner (`itnews.core.runner.run`, or the CLI's wrapper of it).

    A feed's validators (ETag, Last-Modified) are saved only when every item it listed is stored:
    a feed with an item that failed (a page down for now) is read in full again next pass, which
    tries that item again; an interrupted pass saves none."""
    result = PassResult(feeds=len(feeds))
    source = FeedArticles(feeds, store_path, fetcher)
    with Store(store_path) as store:
        sink = StoreSink(store, result, source.items)
        summary = run(source, chain, sink, unique_ids=False)
        result.interrupted = summary.interrupted
        for entry in source.changed:
            reason = f"the feed changed this item after it was stored (now: {entry.title!r}); kept as stored"
            report("warning", entry.url, reason)
            store.add_error(entry.url, reason)
            store.set_link_title(entry.url, entry.title)
        for state in [] if summary.interrupted else source.states.values():
            if state.url in sink.incomplete:
                state = dataclasses.replace(state, etag=None, last_modified=None, last_error="an item failed")
            store.set_feed_state(state)
        result.unchanged = source.unchanged
        result.stories = store.update_stories(window_days, words, chain[1:])
    return result
