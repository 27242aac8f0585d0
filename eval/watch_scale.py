"""The story store (`itnews.monitor.store`) measured: incremental stories against `digest`, and its cost
as it grows.

    python eval/watch_scale.py [--articles 100000] [--small 10000] [--new 1000] [--pace 300]

- Incremental = batch: each set's articles added in ten passes of 10% each (`add_articles`, then
  `update_stories`), in date order and in a shuffled order; the stories compared with `digest`'s
  grouping of all of them at once (`itnews.digest.stories.group`) by BCubed precision, recall and
  F1 (1.0: the same stories). Sets: the story corpus (60 articles), news-2024 (215 real ANSA and
  Il Post articles; ../shared/data/news-2024) and 2,000 consecutive Il Post leads with their dates
  (../shared/data/ilpost). Copies the store keeps once are left out of both sides.
- Scale: a store grown to --small and to --articles articles, then 1,000 new articles (Il Post leads
  held out of the store) added in one pass; the seconds and the peak memory (the resident set of a
  process that opens the store and adds them, imports included) of the pass in each. A store is made
  as a monitor's would be: the Il Post leads and the story corpus dated --pace articles a day, added
  through the store's API a day per pass (the seed); then those articles repeated, as SQL copies of
  their rows with other ids, URLs and dates (each repeat after the last, at the same pace), their
  stories copied with them, the token counts of the IDF counting every copy, and their MinHash
  signatures salted per copy so that the near-duplicate index holds as many distinct entries as
  articles (real articles differ; exact copies would not be stored). Building 100,000 articles
  through the API would take this 2-core machine about ten minutes more and measure the same thing.

Writes eval/WATCH.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
STORIES = REPO / "corpus" / "stories"
SHARED = REPO.parent / "shared" / "data"
START = datetime.date(2026, 1, 1)  # the scale stores' first day


# --- the sets ------------------------------------------------------------------------------------


def clean(records):
    from itnews.ingest.clean import Clean

    return [record for record in Clean()(records) if record.ok]


def story_corpus():
    from itnews.core.record import Record

    labels = [json.loads(line) for line in (STORIES / "labels.jsonl").open(encoding="utf-8")]
    return clean([
        Record(id=label["id"], text=(STORIES / label["path"]).read_text(encoding="utf-8"),
               outlet=label["outlet"], source=f"https://stories.example/{label['id']}",
               published=label["date"])
        for label in labels
    ])  # fmt: skip


def news2024(folder: Path):
    from itnews.core.record import Record

    records = []
    for file in sorted(folder.glob("*.csv")):
        outlet, date = file.name.removesuffix(".csv").split("-articles-")
        with file.open(encoding="utf-8", newline="") as rows:
            for number, row in enumerate(csv.DictReader(rows)):
                records.append(Record(
                    id=f"{file.name}:{number}", title=" ".join(row["Title"].split()), text=row["Content"],
                    source=f"https://news2024.example/{file.name}/{number}",
                    outlet={"ansa": "ANSA", "ilpost": "Il Post"}[outlet], published=date,
                ))  # fmt: skip
    return clean(records)


def ilpost_leads(path: Path):
    """The Il Post leads with text, in date order, with their dates."""
    from itnews.core.record import Record

    with path.open(encoding="utf-8", newline="") as rows:
        leads = [row for row in csv.DictReader(rows) if row["summary"].strip()]
    leads.sort(key=lambda row: row["date"])
    return [
        Record(id=f"ilpost-{n}", title=row["headline"], text=row["summary"],
               source=f"https://ilpost.example/{n}", outlet="Il Post", published=row["date"])
        for n, row in enumerate(leads)
    ]  # fmt: skip


# --- incremental = batch -------------------------------------------------------------------------


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 of ``predicted`` against ``gold`` (item -> cluster)."""
    in_both = Counter((predicted[i], gold[i]) for i in gold)
    in_predicted, in_gold = Counter(predicted[i] for i in gold), Counter(gold.values())
    precision = sum(in_both[predicted[i], gold[i]] / in_predicted[predicted[i]] for i in gold) / len(gold)
    recall = sum(in_both[predicted[i], gold[i]] / in_gold[gold[i]] for i in gold) / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def agreement(records, order: str, folder: Path) -> dict:
    """Ten passes of 10% each into a new store, then the stories against `group` over all of them."""
    from itnews.digest.stories import group
    from itnews.monitor.store import Store

    arriving = sorted(records, key=lambda r: (r.published or "", r.id))
    if order == "shuffled":
        random.Random(25).shuffle(arriving)
    path = folder / f"agreement-{order}.db"
    started = time.perf_counter()
    with Store(path) as store:
        size = -(-len(arriving) // 10)
        for start in range(0, len(arriving), size):
            store.add_articles(arriving[start : start + size])
            store.update_stories()
        incremental = {r.id: store.story_of(r.id) for r in records}
        copies = store.count("duplicates")
    passes = time.perf_counter() - started
    path.unlink()
    stored = [r for r in records if incremental[r.id] is not None]  # copies are stored once
    started = time.perf_counter()
    batch = {stored[i].id: str(n) for n, members in enumerate(group(stored)) for i in members}
    whole = time.perf_counter() - started
    precision, recall, f1 = bcubed({i: incremental[i] for i in batch}, batch)
    result = {"articles": len(stored), "copies": copies, "precision": precision, "recall": recall, "f1": f1,
              "stories": len(set(batch.values())), "passes_s": passes, "digest_s": whole}  # fmt: skip
    if f1 < 1:
        result |= apart(stored, incremental, batch)
    return result


def apart(records, incremental: dict[str, str], batch: dict[str, str]) -> dict:
    """The pairs of articles the store grouped and `digest` did not, and how many of them `digest` parted
    because one of the two was clustered (average linkage, before the date runs cut its clusters) with
    articles more than MAX_DAYS away: the store clusters only the stories within the window."""
    import numpy as np

    from itnews.digest.stories import MAX_DAYS, THRESHOLD, blocks, cluster_block, day, near_duplicates, tfidf

    first = near_duplicates(records)
    distinct = np.array(sorted(set(first)))
    matrix = tfidf([records[i] for i in distinct])
    cluster: dict[str, tuple] = {}
    for n, block in enumerate(blocks(matrix, np.arange(len(distinct)), THRESHOLD)):
        for k, members in enumerate(cluster_block(matrix[block], THRESHOLD)):
            for position in members:
                cluster[records[distinct[block[position]]].id] = (n, k)
    for record, original in zip(records, first, strict=True):
        cluster[record.id] = cluster[records[original].id]
    days = {record.id: day(record) for record in records}
    mates: dict[tuple, list[str]] = {}
    for article, label in cluster.items():
        mates.setdefault(label, []).append(article)

    def spans_beyond_window(article: str) -> bool:
        dated = [days[other] for other in mates[cluster[article]] if days[other]]
        return bool(dated) and (max(dated) - min(dated)).days > MAX_DAYS

    ids = list(batch)
    pairs = [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :]
             if incremental[a] == incremental[b] and batch[a] != batch[b]]  # fmt: skip
    return {
        "apart": len(pairs),
        "cross_time": sum(spans_beyond_window(a) or spans_beyond_window(b) for a, b in pairs),
    }


# --- scale ---------------------------------------------------------------------------------------


def dated(records, pace: int, first: datetime.date):
    """The records dated ``pace`` a day from ``first``, in their order."""
    for k, record in enumerate(records):
        record.published = (first + datetime.timedelta(days=k // pace)).isoformat()
    return records


def seed(path: Path, records, pace: int) -> None:
    """The store of ``records`` added through the API, one day's articles a pass."""
    from itnews.monitor.store import Store

    with Store(path) as store:
        for start in range(0, len(records), pace):
            store.add_articles(records[start : start + pace])
            store.update_stories()


def grow(path: Path, target: int, span: int) -> None:
    """The seed's articles repeated (as the module says) until the store holds ``target``."""
    import numpy as np

    from itnews.monitor.store import bands, shift

    db = sqlite3.connect(path, isolation_level=None)
    base = db.execute("SELECT * FROM articles ORDER BY day, rowid").fetchall()
    stories = {row[0]: row for row in db.execute("SELECT * FROM stories WHERE merged_into IS NULL")}
    held = Counter()
    for row in base:
        held.update(json.loads(row[9]))
    (next_story,) = db.execute("SELECT value FROM meta WHERE key = 'stories'").fetchone()
    total, repeat = len(base), 0
    db.execute("BEGIN")
    while total < target:
        repeat += 1
        taken = base[: target - total]
        new_id = {row[0]: f"{row[0]}~{repeat}" for row in taken}
        salt = np.uint64(repeat * 0x9E3779B97F4A7C15 % 2**64)
        for row in taken:
            (old_id, url, outlet, published, day, seen, title, text, record, features, signature) = row
            values = np.frombuffer(signature, dtype=np.uint64) ^ salt
            db.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id[old_id], f"{url}~{repeat}", outlet, shift(published[:10], span * repeat),
                 shift(day, span * repeat), seen, title, text, record, features, values.tobytes()),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO bands VALUES (?, ?, ?)",
                [(band, key, new_id[old_id]) for band, key in bands(SimpleNamespace(hashvalues=values))],
            )
        for row in stories.values():
            members = [a for a in json.loads(row[8])["articles"] if a in new_id]
            if not members:
                continue
            next_story += 1
            copy_id = f"s-{next_story:06d}"
            story = json.loads(row[8]) | {"story_id": copy_id, "articles": [new_id[a] for a in members]}
            db.execute(
                "INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, NULL)",
                (copy_id, row[1], row[2], row[3], row[4], shift(row[5], span * repeat),
                 shift(row[6], span * repeat), json.dumps(story, ensure_ascii=False)),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO story_articles VALUES (?, ?)", [(new_id[a], copy_id) for a in members]
            )
        for row in taken:
            held.update(json.loads(row[9]))
        total += len(taken)
    db.execute("DELETE FROM tokens")
    db.executemany("INSERT INTO tokens VALUES (?, ?)", held.items())
    db.execute("UPDATE meta SET value = ? WHERE key = 'articles'", (total,))
    db.execute("UPDATE meta SET value = ? WHERE key = 'stories'", (next_story,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def add_measured(path: Path, new: Path, passes: int) -> dict:
    """In a process of its own: open the store, add the new articles in ``passes`` passes (each:
    add, then update the stories)."""
    done = subprocess.run(
        [sys.executable, __file__, "--add", str(path), str(new), str(passes)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def add_passes(path: str, new: str, passes: str) -> None:
    """The child of `add_measured`: the passes' seconds and the process's peak memory as JSON."""
    from itnews.core.record import Record
    from itnews.monitor.store import Store

    records = [
        Record.from_dict(json.loads(line)) for line in Path(new).read_text(encoding="utf-8").splitlines()
    ]
    size = -(-len(records) // int(passes))
    added_s, stored, changed = 0.0, [], set()
    started = time.perf_counter()
    with Store(path) as store:
        before = store.count("articles")
        for start in range(0, len(records), size):
            adding = time.perf_counter()
            stored += store.add_articles(records[start : start + size])
            added_s += time.perf_counter() - adding
            changed |= set(store.update_stories())
        seconds = time.perf_counter() - started
        after = store.count("articles")
    # VmHWM: this process's own peak (ru_maxrss keeps the parent's resident set from the fork)
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"before": before, "after": after, "stored": len(stored), "changed": len(changed),
                      "add_s": added_s, "seconds": seconds, "peak_mb": peak,
                      "passes": int(passes)}))  # fmt: skip


def scale(args, folder: Path) -> list[dict]:
    leads = ilpost_leads(Path(args.ilpost))
    random.Random(25).shuffle(leads)
    held_out, kept = leads[: args.new], leads[args.new :]
    base = clean(kept) + story_corpus()
    random.Random(26).shuffle(base)  # a day's news: every kind of article, the corpus's stories among them
    dated(base, args.pace, START)
    span = -(-len(base) // args.pace)  # days the seed covers
    started = time.perf_counter()
    seed(folder / "seed.db", base, args.pace)
    seed_s = time.perf_counter() - started
    new = clean(held_out)
    stores = {}
    for size in (args.small, args.articles):
        path = folder / f"store-{size}.db"
        shutil.copy(folder / "seed.db", path)
        grow(path, size, span)
        with sqlite3.connect(path) as db:
            (last,) = db.execute("SELECT max(day) FROM articles").fetchone()
        dated(new, args.pace, datetime.date.fromisoformat(last) + datetime.timedelta(days=1))
        lines = folder / f"new-{size}.jsonl"
        lines.write_text(
            "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in new), encoding="utf-8"
        )
        stores[size] = (path, lines)
    trials: dict[tuple, list[dict]] = {}
    for _ in range(args.repeats):  # the sizes in turn: the machine's other load falls on both alike
        for passes in (1, 10):
            for size, (path, lines) in stores.items():
                trial = folder / "trial.db"
                shutil.copy(path, trial)
                run = add_measured(trial, lines, passes) | {"bytes": path.stat().st_size}
                trials.setdefault((passes, size), []).append(run)
                print(json.dumps(run), flush=True)
                trial.unlink()
    runs = []
    for tried in trials.values():
        middle = sorted(tried, key=lambda run: run["seconds"])[len(tried) // 2]
        runs.append(middle | {"all_s": [run["seconds"] for run in tried]})
    return {"runs": runs, "seed_s": seed_s, "seed_articles": len(base), "span_days": span}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="The large store's articles.")
    parser.add_argument("--small", type=int, default=10_000, help="The small store's articles.")
    parser.add_argument("--new", type=int, default=1000, help="Articles added to each store in one pass.")
    parser.add_argument("--pace", type=int, default=300, help="Articles a day in the stores.")
    parser.add_argument("--repeats", type=int, default=3, help="Passes timed on each store (the median).")
    parser.add_argument("--ilpost", default=str(SHARED / "ilpost" / "ilpost.csv"))
    parser.add_argument("--news", default=str(SHARED / "news-2024"))
    parser.add_argument("--out", default=str(REPO / "eval" / "WATCH.md"))
    parser.add_argument("--add", nargs=3, help=argparse.SUPPRESS)  # the measured child process
    args = parser.parse_args()
    if args.add:
        return add_passes(*args.add)
    command = "python eval/watch_scale.py" + "".join(
        f" --{name} {getattr(args, name)}"
        for name, default in (
            ("articles", 100_000),
            ("small", 10_000),
            ("new", 1000),
            ("pace", 300),
            ("repeats", 3),
        )
        if getattr(args, name) != default
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        sets = {"story corpus": story_corpus(), "news-2024": news2024(Path(args.news))}
        leads = clean(ilpost_leads(Path(args.ilpost)))
        sets["Il Post leads (2,000 consecutive)"] = leads[len(leads) // 2 : len(leads) // 2 + 2000]
        rows = []
        for name, records in sets.items():
            for order in ("date order", "shuffled"):
                result = agreement(records, order, folder)
                rows.append((name, order, result))
                print(name, order, json.dumps(result), flush=True)
        measured = scale(args, folder)
    wall = time.perf_counter() - started
    write(Path(args.out), command, rows, measured, args, wall)


def write(path: Path, command: str, rows, measured: dict, args, wall: float) -> None:
    lines = [
        "# The story store: incremental stories and scale (`itnews.monitor.store`)",
        "",
        f"Command: `{command}` ({wall / 60:.1f} minutes on a shared 2-core machine, CPU only).",
        "",
        "## Incremental = batch",
        "",
        "Each set's articles added to a new store in ten passes of 10% each (`add_articles`, then",
        "`update_stories` with its default window of 5 days), in date order and shuffled; the stories",
        "compared with `digest`'s grouping of all of them at once (BCubed against the digest's stories;",
        "1.000: the same stories). Copies: near-duplicate texts the store keeps once (left out of both).",
        "",
        "| Set | Order | Articles | Copies | Digest's stories | BCubed P | R | F1 | Passes (s) | Digest (s) "
        "|",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {order} | {r['articles']:,} | {r['copies']} | {r['stories']:,} | {r['precision']:.3f} | "
        f"{r['recall']:.3f} | {r['f1']:.3f} | {r['passes_s']:.1f} | {r['digest_s']:.1f} |"
        for name, order, r in rows
    ]
    differing = [(name, order, r) for name, order, r in rows if "apart" in r]
    if differing:
        lines += ["", "Where they differ, the pairs of articles the store grouped and `digest` did not:", ""]
        lines += [
            f"- {name}, {order}: {r['apart']:,} pairs; in {r['cross_time']:,} of them `digest` clustered one "
            "of the two with articles more than MAX_DAYS (5) away before cutting its clusters into date runs"
            for name, order, r in differing
        ]
        lines += [
            "",
            "`digest` clusters a block of articles over all their dates, then cuts each cluster where",
            "its reports fall silent for more than MAX_DAYS; the store clusters only the stories with news",
            "within the window of the new articles, so that a pass costs the same in a store of any age.",
            "Short texts over years (the Il Post leads: 2,000 over 2.7 years, about 2 a day) chain into",
            "blocks spanning years, where an article's average-linkage partners can be months away; the",
            "labelled sets, dated within days, agree exactly.",
        ]
    lines += [
        "",
        f"## Adding {args.new:,} articles to a store of {args.small:,} and of {args.articles:,}",
        "",
        f"Stores dated {args.pace} articles a day (seed: {measured['seed_articles']:,} Il Post leads and",
        f"story-corpus articles added through the API a day per pass in {measured['seed_s']:.0f} s, then",
        f"repeated to the size; see the script's docstring). Then {args.new:,} held-out Il Post leads, dated",
        "the days after the store's last, added by a process of its own in one pass or in ten (each: add,",
        f"then update the stories), on a fresh copy of the store, {args.repeats} times each, the stores in",
        "turn; the median run. Peak memory: that process's peak resident set (VmHWM), imports included.",
        "",
        "| Store | Passes | File (MB) | Stored | Stories built or changed | Add (s) | Add + stories (s) "
        "| All runs (s) | Peak (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    lines += [
        f"| {m['before']:,} | {m['passes']} | {m['bytes'] / 1e6:.0f} | {m['stored']:,} | {m['changed']:,} | "
        f"{m['add_s']:.1f} | {m['seconds']:.1f} | {', '.join(f'{t:.1f}' for t in m['all_s'])} | "
        f"{m['peak_mb']:.0f} |"
        for m in measured["runs"]
    ]
    lines.append("")
    for passes in (1, 10):
        small, large = [m for m in measured["runs"] if m["passes"] == passes]
        lines.append(
            f"- {passes} pass{'es' * (passes > 1)}: {large['seconds'] / small['seconds']:.2f}x the time on "
            f"the store ten times larger (goal: at most 1.2x), {large['peak_mb'] / small['peak_mb']:.2f}x "
            "the peak memory."
        )
    lines += [
        "",
        "The candidates are the stories with news within the window of the new articles' days (an index",
        "on their last day), and the near-duplicate (LSH bands) and IDF (token counts) lookups are",
        "indexed, so none of them reads the articles outside the window.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
