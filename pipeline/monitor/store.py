"""The store: one SQLite file (standard library, WAL) of feeds, articles, stories and errors.

- **Schema**: ``PRAGMA user_version`` is the number of MIGRATIONS applied; opening a store applies
  the missing ones in order, each in one transaction with its version, so an older store is brought
  up to date and a newer one is refused.
- **Articles** are stored once: an article whose canonical URL (``Record.source``) is stored, or
  whose text near-duplicates a stored one (MinHash over word 5-grams, as `digest` finds copies,
  looked up through its LSH bands kept in an indexed table), becomes a row of ``duplicates`` that
  points to the stored article. Each article is added in its own transaction with its feature
  counts, the counts of articles holding each token, its LSH bands and a ``pending`` row: a
  ``kill -9`` leaves it whole or absent, and the next pass fetches an absent one again.
- **Stories** (`itnews.monitor.incremental`): `update_stories` puts every pending article into a
  story in one transaction, rebuilding (`itnews.digest.build.build_story`) only the stories whose
  articles changed; a story whose articles all joined another keeps its id, ``merged_into`` that one.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from itnews.core.record import InputError, Record
from itnews.digest.build import Story
from itnews.digest.stories import MAX_DAYS
from itnews.summarise.extractive import DEFAULT_WORDS

SQLITE_HEADER = b"SQLite format 3\x00"
PARAMETERS = 900  # SQLite's least limit on the parameters of one statement is 999
NUM_PERM = 64  # MinHash permutations, as `digest` finds copies

# Never edit a migration once released: add one. Each runs in one transaction with its version.
MIGRATIONS = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta VALUES ('articles', 0), ('stories', 0);
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY, title TEXT, etag TEXT, last_modified TEXT, last_checked TEXT, last_error TEXT
    );
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,  -- the canonical URL
        outlet TEXT, published TEXT,
        day TEXT NOT NULL,  -- its news day: published, else first seen
        first_seen TEXT NOT NULL,
        title TEXT, text TEXT,
        record TEXT NOT NULL,  -- the rest of the record, JSON: sentences, summaries, provenance, checks...
        features TEXT NOT NULL,  -- digest feature counts, JSON
        signature BLOB NOT NULL  -- MinHash of its word 5-grams
    );
    CREATE INDEX articles_day ON articles(day);
    CREATE TABLE bands (
        band INTEGER NOT NULL, hash BLOB NOT NULL, article_id TEXT NOT NULL REFERENCES articles(id)
    );
    CREATE INDEX bands_hash ON bands(band, hash);
    CREATE TABLE tokens (token TEXT PRIMARY KEY, articles INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE pending (article_id TEXT PRIMARY KEY REFERENCES articles(id));
    CREATE TABLE stories (
        id TEXT PRIMARY KEY, headline TEXT NOT NULL, summary TEXT,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,  -- when the store got its first/last article
        first_day TEXT NOT NULL, last_day TEXT NOT NULL,  -- its news days
        closed INTEGER NOT NULL DEFAULT 0,
        story TEXT NOT NULL  -- the Story, JSON: timeline, figures, sentences...
    );
    CREATE INDEX stories_last_day ON stories(last_day);
    CREATE INDEX stories_last_seen ON stories(last_seen);
    CREATE TABLE story_articles (
        article_id TEXT PRIMARY KEY REFERENCES articles(id), story_id TEXT NOT NULL REFERENCES stories(id)
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE errors (item TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL, pass INTEGER);
    """,
    # 2: copies are kept (they were dropped), a story merged into another says which, open stories indexed.
    """
    CREATE TABLE duplicates (
        url TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id),
        outlet TEXT, published TEXT, first_seen TEXT NOT NULL,
        how TEXT NOT NULL  -- 'id': the same id (made from the canonical URL); 'text': a near-duplicate text
    );
    ALTER TABLE stories ADD COLUMN merged_into TEXT REFERENCES stories(id);
    -- closing reads the open stories only: last_day's index alone scanned every closed one
    CREATE INDEX stories_open ON stories(last_day) WHERE closed = 0;
    """,
    # 3: the links feeds gave for stored articles (a tracking query, a mobile host), so that an item
    # already stored under its canonical URL is not fetched again; and the item's title, to tell when
    # a feed changes an item it listed before.
    """
    CREATE TABLE links (
        url TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id), title TEXT
    );
    """,
]


@dataclass
class FeedState:
    url: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_checked: str | None = None
    last_error: str | None = None


@dataclass
class StoredStory:
    """A story as the store keeps it: the digest's story, when the store saw its first and last
    articles, and whether it is closed (no news for the window)."""

    story: Story
    first_seen: str
    last_seen: str
    closed: bool

    def to_dict(self) -> dict:
        return {
            **self.story.to_dict(),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "closed": self.closed,
        }


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def news_day(record: Record, seen: str) -> str:
    try:
        return datetime.date.fromisoformat((record.published or "")[:10]).isoformat()
    except ValueError:
        return seen[:10]


class Store:
    """An open store. ``create``: make a new one where there is none (else a missing file is an
    error). Raises `InputError` for a file that is not a store or is of a newer schema."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise InputError(str(path), "no such store")
        check_is_sqlite(self.path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses no committed transaction
            self.migrate()
        except sqlite3.DatabaseError as err:
            raise InputError(str(path), f"cannot open the store: {err}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")  # the write lock now: no upgrade deadlock between writers
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def migrate(self) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise InputError(
                str(self.path), f"store schema version {version} is newer than this itnews reads "
                f"({len(MIGRATIONS)}): upgrade itnews"
            )  # fmt: skip
        if version == 0 and self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise InputError(str(self.path), "a SQLite database that is not an itnews store")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            # executescript commits first and runs the script as given: the transaction is in it
            script = MIGRATIONS[number - 1]
            self.db.executescript(f"BEGIN IMMEDIATE;{script};PRAGMA user_version={number};COMMIT;")

    # --- feeds and errors ---------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        row = self.db.execute(
            "SELECT url, title, etag, last_modified, last_checked, last_error FROM feeds WHERE url = ?",
            (url,),
        ).fetchone()
        return FeedState(*row) if row else None

    def set_feed_state(self, state: FeedState) -> None:
        """The feed's state after a check (``last_checked`` set to now)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?)",
                (state.url, state.title, state.etag, state.last_modified, now(), state.last_error),
            )

    def add_error(self, item: str, reason: str, pass_number: int | None = None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO errors VALUES (?, ?, ?, ?)", (item, reason, now(), pass_number))

    def errors(self) -> list[tuple[str, str, str, int | None]]:
        return self.db.execute("SELECT item, reason, at, pass FROM errors ORDER BY rowid").fetchall()

    # --- articles -----------------------------------------------------------------------------

    def known_url(self, url: str) -> bool:
        """Whether the URL is a stored article's, a duplicate's or a feed's link to one: it need not be
        fetched again."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM articles WHERE url = ? UNION ALL SELECT 1 FROM duplicates WHERE url = ?"
                " UNION ALL SELECT 1 FROM links WHERE url = ?",
                (url, url, url),
            ).fetchone()
        )

    def add_links(self, links: list[tuple[str, str, str | None]]) -> None:
        """Feed items (``(link, canonical URL, the item's title)``) of articles stored or kept as
        duplicates."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO links SELECT ?, id, ? FROM articles WHERE url = ?"
                " UNION SELECT ?, article_id, ? FROM duplicates WHERE url = ?",
                [(link, title, url, link, title, url) for link, url, title in links],
            )

    def link_title(self, url: str) -> str | None:
        """The title the feed gave the item at ``url`` when it was stored (None: not recorded)."""
        row = self.db.execute("SELECT title FROM links WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def set_link_title(self, url: str, title: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE links SET title = ? WHERE url = ?", (title, url))

    def add_articles(self, records: list[Record]) -> list[Record]:
        """Store the cleaned articles (failed records are the caller's to report) whose canonical
        URL (``Record.source``; the id where there is none) is not stored yet; the ones stored,
        pending their stories (`update_stories`). A copy under another URL (the same id, or a
        near-duplicate text) is kept as a duplicate of the stored article."""
        from itnews.monitor.incremental import feature_counts

        stored = []
        for record in records:
            url = record.source or record.id
            if not record.ok or self.known_url(url):
                continue
            signature = minhash(record.text or "")
            counts = feature_counts(record)
            with self.transaction() as db:
                if self.known_url(url):  # another writer stored it meanwhile
                    continue
                if db.execute("SELECT 1 FROM articles WHERE id = ?", (record.id,)).fetchone():
                    original = record.id
                elif (record.text or "").split():  # texts without a word are not copies of each other
                    original = self.near_duplicate(signature)
                else:
                    original = None
                if original is not None:
                    how = "text" if original != record.id else "id"
                    db.execute(
                        "INSERT INTO duplicates VALUES (?, ?, ?, ?, ?, ?)",
                        (url, original, record.outlet, record.published, now(), how),
                    )
                    continue
                self.insert(db, record, url, signature, counts)
            stored.append(record)
        return stored

    def near_duplicate(self, signature) -> str | None:
        """The stored article whose text this signature's near-duplicates (estimated Jaccard
        similarity of word 5-grams at least NEAR_DUPLICATE: the share of equal hash values, as
        MinHash.jaccard estimates it), found through the LSH bands."""
        import numpy as np

        from itnews.digest.stories import NEAR_DUPLICATE

        mine = signature.hashvalues.astype(np.uint64)
        for band, key in bands(signature):
            for article_id, stored in self.db.execute(
                "SELECT a.id, a.signature FROM bands b JOIN articles a ON a.id = b.article_id"
                " WHERE b.band = ? AND b.hash = ?",
                (band, key),
            ):
                if np.mean(np.frombuffer(stored, dtype=np.uint64) == mine) >= NEAR_DUPLICATE:
                    return article_id
        return None

    def insert(
        self, db: sqlite3.Connection, record: Record, url: str, signature, counts: dict[str, int]
    ) -> None:
        seen = now()
        rest = {k: v for k, v in record.to_dict().items() if k not in ("title", "text")}
        db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, url, record.outlet, record.published, news_day(record, seen), seen,
             record.title, record.text, json.dumps(rest, ensure_ascii=False),
             json.dumps(counts, ensure_ascii=False), signature.hashvalues.astype("uint64").tobytes()),
        )  # fmt: skip
        db.executemany("INSERT INTO bands VALUES (?, ?, ?)", [(b, k, record.id) for b, k in bands(signature)])
        db.executemany(
            "INSERT INTO tokens VALUES (?, 1) ON CONFLICT(token) DO UPDATE SET articles = articles + 1",
            [(token,) for token in counts],
        )
        db.execute("INSERT INTO pending VALUES (?)", (record.id,))
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'articles'")

    def articles(self, ids: list[str]) -> list[Record]:
        """The stored records of ``ids``, in that order."""
        found = {}
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            for article_id, title, text, rest in self.db.execute(
                f"SELECT id, title, text, record FROM articles WHERE id IN ({marks})", chunk
            ):
                found[article_id] = Record.from_dict({**json.loads(rest), "title": title, "text": text})
        return [found[i] for i in ids if i in found]

    def count(self, table: str) -> int:
        assert table in ("articles", "duplicates", "stories", "pending", "story_articles", "errors")
        return self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    # --- stories ------------------------------------------------------------------------------

    def update_stories(
        self, window_days: int = MAX_DAYS, words: int = DEFAULT_WORDS, steps: list | None = None
    ) -> list[str]:
        """Put the pending articles into stories (`itnews.monitor.incremental`), each joining a story
        with news within ``window_days`` of its own day, or opening one; rebuild the stories whose
        articles changed (with the summary ``steps`` after the extractive choice, as `digest` does);
        close the stories without news for ``window_days`` before the latest. Returns the ids of the
        stories built or changed. One transaction: a kill leaves the articles pending."""
        from itnews.digest.build import build_story, summarise_stories
        from itnews.monitor import incremental

        with self.transaction() as db:
            pending = db.execute(
                "SELECT a.rowid, a.id, a.day, a.first_seen, a.features, NULL FROM pending p"
                " JOIN articles a ON a.id = p.article_id"
            ).fetchall()
            if not pending:
                self.close_stories(db, window_days)
                return []
            candidates = {}
            for low, high in windows(sorted({row[2] for row in pending}), window_days):
                for row in db.execute(  # CROSS JOIN: SQLite's order, the window's stories first (the
                    # planner, left to itself, scanned every story's articles)
                    "SELECT a.rowid, a.id, a.day, a.first_seen, a.features, s.id FROM stories s"
                    " CROSS JOIN story_articles sa ON sa.story_id = s.id"
                    " CROSS JOIN articles a ON a.id = sa.article_id"
                    " WHERE s.last_day >= ? AND s.first_day <= ? AND s.merged_into IS NULL",
                    (low, high),
                ):
                    candidates[row[1]] = row
            candidates = list(candidates.values())
            rows = candidates + pending
            counts = [json.loads(row[4]) for row in rows]
            matrix = incremental.vectors(counts, self.frequencies(counts), self.meta("articles"))
            story_of = [row[5] for row in rows]
            clusters = incremental.regroup(
                matrix,
                [datetime.date.fromisoformat(row[2]) for row in rows],
                set(range(len(candidates), len(rows))),
                story_of,
            )
            ids = incremental.assign(clusters, story_of)
            members_before: dict[str, set[str]] = {}
            for row in candidates:
                members_before.setdefault(row[5], set()).add(row[1])
            changed, built = [], []
            for cluster, story_id in zip(clusters, ids, strict=True):
                members = sorted((rows[i] for i in cluster), key=lambda row: row[0])  # as they came
                if story_id is not None and members_before.get(story_id) == {row[1] for row in members}:
                    continue
                if story_id is None:
                    story_id = self.new_story_id(db)
                changed.append(story_id)
                built.append((story_id, members))
            stories, records = [], []
            for story_id, members in built:
                articles = self.articles([row[1] for row in members])
                stories.append(build_story(story_id, articles, words))
                records += articles
            if steps:
                summarise_stories(stories, records, steps)
            for story, (story_id, members) in zip(stories, built, strict=True):
                self.write_story(db, story, members)
                db.executemany(
                    "INSERT OR REPLACE INTO story_articles VALUES (?, ?)",
                    [(row[1], story_id) for row in members],
                )
            touched = {story_of[i] for cluster in clusters for i in cluster} - {None}
            self.merge_emptied(db, touched - set(ids))
            db.execute("DELETE FROM pending")
            self.close_stories(db, window_days)
        return changed

    def frequencies(self, counts: list[dict[str, int]]) -> dict[str, int]:
        """How many stored articles hold each of these tokens."""
        tokens = sorted({token for row in counts for token in row})
        found = {}
        for chunk in chunks(tokens):
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(f"SELECT token, articles FROM tokens WHERE token IN ({marks})", chunk)
            )
        return found

    def meta(self, key: str) -> int:
        return self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def new_story_id(self, db: sqlite3.Connection) -> str:
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'stories'")
        return f"s-{self.meta('stories'):06d}"

    def write_story(self, db: sqlite3.Connection, story: Story, members: list[tuple]) -> None:
        days = sorted(row[2] for row in members)
        seen = sorted(row[3] for row in members)
        db.execute(
            "INSERT INTO stories (id, headline, summary, first_seen, last_seen, first_day, last_day, closed,"
            " story) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(id) DO UPDATE SET"
            " headline = excluded.headline, summary = excluded.summary, first_seen = excluded.first_seen,"
            " last_seen = excluded.last_seen, first_day = excluded.first_day, last_day = excluded.last_day,"
            " closed = 0, story = excluded.story",
            (story.story_id, story.headline, story.summary_it, seen[0], seen[-1], days[0], days[-1],
             json.dumps(story.to_dict(), ensure_ascii=False)),
        )  # fmt: skip

    def merge_emptied(self, db: sqlite3.Connection, emptied: set[str]) -> None:
        """Stories whose articles all went to other stories: merged into the one that has most."""
        for story_id in sorted(emptied):
            row = db.execute(
                "SELECT sa.story_id, count(*) AS n FROM stories s, json_each(s.story, '$.articles') a"
                " JOIN story_articles sa ON sa.article_id = a.value WHERE s.id = ?"
                " GROUP BY sa.story_id ORDER BY n DESC, sa.story_id LIMIT 1",
                (story_id,),
            ).fetchone()
            db.execute("UPDATE stories SET merged_into = ?, closed = 1 WHERE id = ?", (row[0], story_id))

    def close_stories(self, db: sqlite3.Connection, window_days: int) -> None:
        (latest,) = db.execute("SELECT max(day) FROM articles").fetchone()
        if latest:
            db.execute(
                "UPDATE stories SET closed = 1 WHERE last_day < ? AND closed = 0",
                (shift(latest, -window_days),),
            )

    def stories(self, since: str) -> list[StoredStory]:
        """The stories (not merged into another) that got an article at ``since`` (ISO 8601 UTC) or
        later, the latest first."""
        return [
            StoredStory(Story(**json.loads(story)), first_seen, last_seen, bool(closed))
            for story, first_seen, last_seen, closed in self.db.execute(
                "SELECT story, first_seen, last_seen, closed FROM stories"
                " WHERE last_seen >= ? AND merged_into IS NULL ORDER BY last_seen DESC, id",
                (since,),
            )
        ]

    def digest(self, since: str) -> tuple[list[Story], list[Record]]:
        """The stories with news at ``since`` or later, and their articles: `digest`'s outputs of them."""
        stories = [stored.story for stored in self.stories(since)]
        return stories, self.articles([article for story in stories for article in story.articles])

    def story_of(self, article_id: str) -> str | None:
        row = self.db.execute(
            "SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)
        ).fetchone()
        return row[0] if row else None


def check_is_sqlite(path: Path) -> None:
    """A file that is there must be a SQLite database (an empty one holds nothing to lose)."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(str(path), "not a regular file")
    if path.is_file():
        try:
            with path.open("rb") as file:
                header = file.read(len(SQLITE_HEADER))
        except OSError as err:
            raise InputError(str(path), f"cannot read: {err.strerror or err}") from None
        if header and header != SQLITE_HEADER:
            raise InputError(str(path), "not an itnews store (not a SQLite database)")


def minhash(text: str):
    """The MinHash of the text's word 5-grams, as `itnews.digest.stories.near_duplicates` makes it."""
    from datasketch import MinHash

    from itnews.digest.stories import SHINGLE

    words = text.casefold().split()
    shingles = {" ".join(words[k : k + SHINGLE]) for k in range(max(1, len(words) - SHINGLE + 1))}
    signature = MinHash(num_perm=NUM_PERM)
    signature.update_batch([shingle.encode("utf-8") for shingle in shingles])
    return signature


def bands(signature) -> list[tuple[int, bytes]]:
    """The signature's LSH bands, as datasketch's MinHashLSH splits them for NEAR_DUPLICATE."""
    return [
        (band, signature.hashvalues[start:end].astype("uint64").tobytes())
        for band, (start, end) in enumerate(lsh_ranges())
    ]


@functools.cache
def lsh_ranges() -> list[tuple[int, int]]:
    """The bands' ranges of the signature: datasketch chooses them for the threshold (which takes it
    a numerical integration, so once)."""
    from datasketch import MinHashLSH

    from itnews.digest.stories import NEAR_DUPLICATE

    return MinHashLSH(threshold=NEAR_DUPLICATE, num_perm=NUM_PERM).hashranges


def windows(days: list[str], window_days: int) -> list[tuple[str, str]]:
    """The days within ``window_days`` of the sorted ``days``, as disjoint ranges: an article of an
    old date among today's (a feed's archive item) adds its own days' stories, not every story since."""
    ranges: list[list[str]] = []
    for day in days:
        low, high = shift(day, -window_days), shift(day, window_days)
        if ranges and low <= ranges[-1][1]:
            ranges[-1][1] = high
        else:
            ranges.append([low, high])
    return [(low, high) for low, high in ranges]


def shift(day: str, days: int) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=days)).isoformat()


def chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), PARAMETERS):
        yield items[start : start + PARAMETERS]


DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> datetime.timedelta:
    """A duration written as a number and a unit: 90s, 15m, 24h, 3d. Raises ValueError."""
    import re

    match = re.fullmatch(r"(\d+)\s*([smhd])", text.strip())
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 24h or 3d")
    return datetime.timedelta(**{DURATION_UNITS[match[2]]: int(match[1])})


def cutoff(since: str, at: datetime.datetime | None = None) -> str:
    """``--since``: a duration back from now ("24h", "3d", "90m") or an ISO 8601 date or time (UTC
    unless it says), as the ISO 8601 UTC time it stands for. Raises ValueError."""
    at = at or datetime.datetime.now(datetime.UTC)
    try:
        return (at - duration(since)).isoformat(timespec="seconds")
    except ValueError:
        pass
    try:
        when = datetime.datetime.fromisoformat(since.strip())
    except ValueError:
        raise ValueError("give a duration (24h, 3d, 90m) or an ISO 8601 date or time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.astimezone(datetime.UTC).isoformat(timespec="seconds")
