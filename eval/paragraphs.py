"""Paragraph structure of plain text: headings, one paragraph per line, hard wrapping (eval/PARAGRAPHS.md).

    python eval/paragraphs.py [--code DIR] [--examples]

DIR is an itnews package folder to measure instead of the installed one, e.g. an older commit's
``pipeline/`` from ``git archive``: the figures before and after a change to the blocks can then be
taken with one sentence splitter. --examples prints the headings found in the real articles, to
check by eye (in the terminal only: their text must not be copied into the repository).

Figures:

- ``../shared/data/news-2024`` (real ANSA and Il Post bodies, as scraped; read from there): sentences,
  those longer than 80 words, headings found, and sentences glued across a line break, that is,
  holding both the end of a line without a final stop and the capitalised start of the next line:
  a heading or subtitle run into the paragraph under it.
- ``../shared/data/ilpost`` (headlines and leads, no bodies): each headline on a line and its lead on
  the next, as a scraped text without a title; how often the headline becomes the title, and how
  often it is glued into the lead's first sentence.
- The project corpus (corpus/articles, the set the layout thresholds were chosen on): each article
  rewritten one paragraph per line and hard-wrapped at 60, 72 and 80 columns (Python's textwrap,
  paragraphs with and without blank lines between them, and GNU fmt): the layout detected, and
  how many articles give the same sentences and headings as written.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import re
import shutil
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LONG_WORDS = 80
WIDTHS = (60, 72, 80)


def use_package(code: Path) -> None:
    """Make ``import itnews`` load the package in ``code`` instead of the installed one."""
    spec = importlib.util.spec_from_file_location(
        "itnews", code / "__init__.py", submodule_search_locations=[str(code)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["itnews"] = module
    spec.loader.exec_module(module)


def clean(text: str, title: str | None = None):
    from itnews.core.record import Record
    from itnews.ingest.clean import clean_record

    return clean_record(Record(id="eval", text=text, title=title))


def headings_of(record) -> list[str]:
    """The record's headings, by the blocks of its cleaned text (older versions kept no indexes)."""
    from itnews.ingest.blocks import split_blocks

    return [block.text for block in split_blocks(record.text) if block.kind == "heading"]


def glued_across_lines(text: str, sentences: list[str]) -> int:
    """Sentences holding the end of a line without a final stop and the capitalised next line."""
    from itnews.ingest.blocks import SENTENCE_END

    lines = [" ".join(line.split()) for line in text.splitlines()]
    seams = [
        f"{line.split()[-1]} {next_line.split()[0]}"
        for line, next_line in pairwise(lines)
        if line and next_line and not SENTENCE_END.search(line) and next_line[0].isupper()
    ]
    return sum(any(seam in " ".join(s.split()) for seam in seams) for s in sentences)


def news_2024(examples: bool) -> None:
    paths = sorted((SHARED / "news-2024").glob("*.csv"))
    rows = [row for path in paths for row in csv.DictReader(path.open(encoding="utf-8"))]
    sentences = long = glued = headings = with_line_breaks = 0
    for row in rows:
        record = clean(row["Content"], row["Title"] or None)
        found = headings_of(record)
        sentences += len(record.sentences)
        long += sum(len(s.split()) > LONG_WORDS for s in record.sentences)
        glued += glued_across_lines(row["Content"], record.sentences)
        headings += len(found)
        with_line_breaks += "\n" in row["Content"].strip()
        if examples and found:
            print(f"  {row['Publication']} {row['Title'][:50]!r}: {found}")
    print(f"news-2024: {len(rows)} articles ({with_line_breaks} with line breaks), {sentences} sentences")
    print(f"  sentences > {LONG_WORDS} words: {long}")
    print(f"  headings found: {headings}")
    print(f"  sentences glued across a line break: {glued}")


def ilpost() -> None:
    with (SHARED / "ilpost" / "ilpost.csv").open(encoding="utf-8") as file:
        pairs = [(row["headline"].strip(), row["summary"].strip()) for row in csv.DictReader(file)]
    pairs = [(headline, lead) for headline, lead in pairs if headline and lead]
    became_title = glued = 0
    for headline, lead in pairs:
        record = clean(f"{headline}\n{lead}")
        words = headline.split()  # cleaning collapses spaces, no-break ones too
        became_title += (record.title or "").split() == words
        glued += any(s.split()[: len(words)] == words != s.split() for s in record.sentences)  # and more
    print(f"ilpost: {len(pairs)} headline + lead texts, one line each")
    print(f"  headline became the title: {became_title}")
    print(f"  headline glued into the lead's first sentence: {glued}")


def corpus_layouts() -> None:
    from itnews.ingest import blocks
    from itnews.ingest.read import decode_bytes

    paths = sorted((ROOT / "corpus" / "articles").glob("*.txt"))
    articles = [decode_bytes(path.read_bytes(), str(path), []) for path in paths]

    def layouts(article: str) -> dict[str, str]:
        chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", article) if chunk.strip()]
        lists = {i for i, chunk in enumerate(chunks) if blocks.BULLET.match(chunk)}  # kept line by line
        paragraphs = [chunk if i in lists else " ".join(chunk.split()) for i, chunk in enumerate(chunks)]

        def wrap(width: int, separator: str) -> str:
            return separator.join(
                p if i in lists else textwrap.fill(p, width, break_on_hyphens=False)
                for i, p in enumerate(paragraphs)
            )

        rewritten = {"one paragraph per line": "\n".join(paragraphs)}
        for width in WIDTHS:
            rewritten[f"textwrap {width}, blank lines"] = wrap(width, "\n\n")
            rewritten[f"textwrap {width}, no blank lines"] = wrap(width, "\n")
            if shutil.which("fmt"):
                fmt = subprocess.run(["fmt", "-w", str(width)], input=article, capture_output=True, text=True)
                rewritten[f"fmt {width}"] = fmt.stdout
        return rewritten

    tells_layouts = hasattr(blocks, "wrap_width")  # older versions join every line of a paragraph
    expected = [clean(article) for article in articles]
    results: dict[str, list[tuple]] = {}
    for article, written in zip(articles, expected, strict=True):
        for layout, text in layouts(article).items():
            lines = [" ".join(line.split()) for line in text.splitlines()]
            wrapped = tells_layouts and blocks.wrap_width(lines) is not None
            record = clean(text)
            same = (record.sentences, headings_of(record)) == (written.sentences, headings_of(written))
            shares = line_break_shares(lines, blocks) if tells_layouts else (0.0, 0.0)
            results.setdefault(layout, []).append((wrapped, same, *shares))
    print(f"corpus (tuning set): {len(articles)} articles rewritten")
    for layout, outcomes in results.items():
        wrapped, same, mid_sentence, near_width = zip(*outcomes, strict=True)
        line = f"  {layout:28s} same sentences and headings: {sum(same):2d}"
        if tells_layouts:
            line += (
                f", detected hard-wrapped: {sum(wrapped):2d}; breaks mid-sentence "
                f"{min(mid_sentence):.0%}-{max(mid_sentence):.0%}, "
                f"those lines near the width {min(near_width):.0%}-{max(near_width):.0%}"
            )
        print(line)


def line_break_shares(lines: list[str], blocks) -> tuple[float, float]:
    """The share of line breaks that fall mid-sentence, and the share of the lines before those
    that are near the width (the two figures `wrap_width` decides by)."""
    bullet = blocks.BULLET
    breaks = [(a, b) for a, b in pairwise(lines) if a and b and not bullet.match(a) and not bullet.match(b)]
    going_on = [a for a, b in breaks if blocks.continues_sentence(a, b)]
    if not going_on:
        return 0.0, 0.0
    width = max(len(line) for line in going_on)
    near = sum(len(line) >= blocks.NEAR_WIDTH * width for line in going_on)
    return len(going_on) / len(breaks), near / len(going_on)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, help="an itnews package folder to measure")
    parser.add_argument("--examples", action="store_true", help="print the headings found in news-2024")
    args = parser.parse_args()
    if args.code:
        use_package(args.code.resolve())
    news_2024(args.examples)
    ilpost()
    corpus_layouts()


if __name__ == "__main__":
    main()
