"""Italian sentence segmenters on text none of their rules were written for (eval/SEGMENTATION.md).

    python eval/segmentation_real.py [CANDIDATE ...] [--before REV]

CANDIDATE is a key of CANDIDATES below (default: all). --before REV adds the project's splitter as
it was at git revision REV (read with `git show`, nothing is checked out), to compare in one run.

Sets, each scored by boundary precision, recall and F1 (a boundary is the count of non-space
characters before a sentence start, so libraries that respace text are scored fairly) and by the
share of paragraphs split exactly:

- UD ParTUT running text: the `# text =` lines of train, dev and test pooled and put in sent_id
  order (README: ids 1..2090 without gaps), cut into paragraphs of up to 8 consecutive sentences
  that come from the same file, so each split is scored on its own sentences.
- UD ISDT sentences, each alone (must come back whole), and joined into paragraphs of 8 in an
  order shuffled with a fixed seed.
- The peers' own Italian test cases (eval/data/peer_sentence_cases.jsonl), and the project's
  (tests/sentence_cases.py).
- News bodies labelled by hand (eval/data/news_sentence_labels.jsonl, text read from
  ../shared/data/news-2024/), in the two halves the labels assign (dev, test); and, unlabelled,
  how many sentences of all the news-2024 paragraphs come out longer than 80 words.

Two conventions are scored both ways: the treebanks end sentences at ":" and ";", which a news
splitter does not; and in the news labels a boundary between two sentences of one quotation is
marked as such. In the "excluded" columns those boundaries are neither required nor counted as
errors when found.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
import types
from pathlib import Path

# The libraries as eval/segmenters.py runs them (the script's folder is on sys.path).
from segmenters import CANDIDATES as LIBRARIES
from segmenters import version

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "eval" / "data"
UD = ROOT.parent / "shared" / "data" / "ud-italian"
NEWS = ROOT.parent / "shared" / "data" / "news-2024"
PARAGRAPH_SENTENCES = 8
SHUFFLE_SEED = 20
# News paragraphs: the scraped Content field separates them by runs of two or more whitespace
# characters (README); boundaries are labelled and scored inside paragraphs only.
NEWS_PARAGRAPH_BREAK = re.compile(r"\s{2,}")
TREEBANK_ONLY_END = re.compile(r"[:;][\"'»”’)\]]*$")  # a sentence the treebank ends at ":" or ";"
LONG_SENTENCE_WORDS = 80  # issue 20 counts the sentences longer than this in news-2024
PACKAGES = ["pysbd", "sentencex", "blingfire", "nupunkt"]


# --- candidates: each a function that returns a splitter --------------------------------------------


def itnews_now():
    from itnews.ingest.sentences import split_sentences

    return split_sentences


def itnews_at(revision: str):
    """The project's splitter as committed at ``revision``, loaded as a throwaway module."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:pipeline/ingest/sentences.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"sentences_at_{revision}")
    exec(compile(source, f"{revision}:pipeline/ingest/sentences.py", "exec"), module.__dict__)
    return module.split_sentences


def pysbd_it():
    import pysbd

    return pysbd.Segmenter(language="it", clean=False).segment


CANDIDATES = {  # key: (label in the table, function that returns the splitter)
    "itnews": ("itnews.ingest.sentences", itnews_now),
    "pysbd": ("pysbd (it)", pysbd_it),
    **{name: LIBRARIES[name] for name in ("sentencex", "blingfire", "nupunkt")},
}


# --- gold paragraphs: text, sentence starts (in non-space characters), optional starts -------------


class Paragraph:
    """One text to split: where its sentences start, and which of those starts are optional."""

    def __init__(self, text: str, starts: set[int], optional: set[int] = frozenset()):
        self.text, self.starts, self.optional = text, starts, optional


def nonspace(text: str) -> int:
    return sum(not char.isspace() for char in text)


def from_sentences(sentences: list[str], optional_after=None) -> Paragraph:
    starts, optional, count = set(), set(), 0
    for sentence in sentences[:-1]:
        count += nonspace(sentence)
        starts.add(count)
        if optional_after and optional_after(sentence):
            optional.add(count)
    return Paragraph(" ".join(sentences), starts, optional)


def treebank_only(sentence: str) -> bool:
    return bool(TREEBANK_ONLY_END.search(sentence.rstrip()))


def ud_sentences(path: Path) -> list[tuple[int, str]]:
    """(number in the sent_id, text) for each sentence of a CoNLL-U file."""
    sentences, number = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# sent_id ="):
            number = int(line.rsplit("-", 1)[1])
        elif line.startswith("# text ="):
            sentences.append((number, line.split("=", 1)[1].strip()))
    return sentences


def partut(split: str) -> list[Paragraph]:
    by_number = {
        number: (name, text)
        for name in ("train", "dev", "test")
        for number, text in ud_sentences(UD / f"it_partut-ud-{name}.conllu")
    }
    runs, run, previous = [], [], None
    for number in sorted(by_number):
        name, text = by_number[number]
        if run and (name != previous or len(run) == PARAGRAPH_SENTENCES):
            runs.append((previous, run))
            run = []
        run.append(text)
        previous = name
    runs.append((previous, run))
    return [from_sentences(texts, treebank_only) for name, texts in runs if name == split]


def isdt_alone(split: str) -> list[Paragraph]:
    return [Paragraph(text, set()) for _, text in ud_sentences(UD / f"it_isdt-ud-{split}.conllu")]


def isdt_paragraphs(split: str) -> list[Paragraph]:
    texts = [text for _, text in ud_sentences(UD / f"it_isdt-ud-{split}.conllu")]
    random.Random(SHUFFLE_SEED).shuffle(texts)
    return [
        from_sentences(texts[start : start + PARAGRAPH_SENTENCES], treebank_only)
        for start in range(0, len(texts), PARAGRAPH_SENTENCES)
    ]


def peer_cases(keep_left_out: bool) -> list[Paragraph]:
    """The peers' cases; those marked "left_out" contradict the news convention (the reason is
    in the file) and count only in the row of all cases."""
    with open(DATA / "peer_sentence_cases.jsonl", encoding="utf-8") as lines:
        cases = [json.loads(line) for line in lines]
    return [
        Paragraph(case["text"], from_sentences(case["sentences"]).starts)
        for case in cases
        if keep_left_out or not case.get("left_out")
    ]


def project_cases() -> list[Paragraph]:
    spec = importlib.util.spec_from_file_location("sentence_cases", ROOT / "tests" / "sentence_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [from_sentences(case) for case in module.CASES]


def news(half: str) -> list[Paragraph]:
    """The labelled news paragraphs of one half. Labels are character offsets of sentence starts
    in the raw Content field; the labelled text is Content[:end]."""
    contents: dict[str, list[str]] = {}
    paragraphs = []
    with open(DATA / "news_sentence_labels.jsonl", encoding="utf-8") as lines:
        for item in map(json.loads, lines):
            if item["half"] != half:
                continue
            if item["file"] not in contents:
                with open(NEWS / item["file"], encoding="utf-8", newline="") as table:
                    contents[item["file"]] = [row["Content"] for row in csv.DictReader(table)]
            content = contents[item["file"]][item["row"]][: item["end"]]
            starts, quoted = set(item["starts"]), set(item["quoted"])
            begin = 0
            for end in [match.start() for match in NEWS_PARAGRAPH_BREAK.finditer(content)] + [len(content)]:
                text = content[begin:end]
                inside = [start for start in starts if begin < start < end]
                paragraphs.append(
                    Paragraph(
                        text,
                        {nonspace(content[begin:start]) for start in inside},
                        {nonspace(content[begin:start]) for start in inside if start in quoted},
                    )
                )
                begin = end
    return [paragraph for paragraph in paragraphs if paragraph.text.strip()]


def news_bodies() -> list[str]:
    """Every paragraph of every news-2024 body, for counting overlong sentences (no labels)."""
    paragraphs = []
    for path in sorted(NEWS.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as table:
            for row in csv.DictReader(table):
                paragraphs += [text for text in NEWS_PARAGRAPH_BREAK.split(row["Content"]) if text.strip()]
    return paragraphs


def long_sentences(split, paragraphs: list[str]) -> str:
    sentences = [sentence for paragraph in paragraphs for sentence in split(paragraph) if sentence.strip()]
    overlong = sum(len(sentence.split()) > LONG_SENTENCE_WORDS for sentence in sentences)
    return f"{overlong} of {len(sentences)}"


SETS = {  # key: (label, loader, what "excluded" leaves out, or None when nothing is optional)
    "partut-train": ("ParTUT running text, train", lambda: partut("train"), ":/;"),
    "partut-dev": ("ParTUT running text, dev", lambda: partut("dev"), ":/;"),
    "partut-test": ("ParTUT running text, test", lambda: partut("test"), ":/;"),
    "isdt-dev-alone": ("ISDT dev, sentences alone", lambda: isdt_alone("dev"), None),
    "isdt-test-alone": ("ISDT test, sentences alone", lambda: isdt_alone("test"), None),
    "isdt-dev": ("ISDT dev, paragraphs of 8", lambda: isdt_paragraphs("dev"), ":/;"),
    "isdt-test": ("ISDT test, paragraphs of 8", lambda: isdt_paragraphs("test"), ":/;"),
    "peers": ("peers' Italian cases, all", lambda: peer_cases(keep_left_out=True), None),
    "peers-kept": ("peers' Italian cases, kept", lambda: peer_cases(keep_left_out=False), None),
    "project": ("project's cases", project_cases, None),
    "news-dev": ("news labels, dev half", lambda: news("dev"), "inside quotes"),
    "news-test": ("news labels, test half", lambda: news("test"), "inside quotes"),
}


# --- scoring --------------------------------------------------------------------------------------


def predicted_starts(split, text: str) -> set[int]:
    sentences = [sentence for sentence in split(text) if sentence.strip()]
    return from_sentences(sentences).starts


def score(split, paragraphs: list[Paragraph], exclude_optional: bool) -> dict:
    found = right = expected = exact = 0
    for paragraph in paragraphs:
        predicted, truth = predicted_starts(split, paragraph.text), paragraph.starts
        if exclude_optional:
            predicted, truth = predicted - paragraph.optional, truth - paragraph.optional
        found, right, expected = found + len(predicted), right + len(predicted & truth), expected + len(truth)
        exact += predicted == truth
    precision = right / found if found else 1.0
    recall = right / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": precision, "r": recall, "f1": f1, "exact": exact, "paragraphs": len(paragraphs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="*", metavar="CANDIDATE", help=", ".join(CANDIDATES))
    parser.add_argument("--before", metavar="REV", help="also measure the project's splitter at git REV")
    args = parser.parse_args()
    unknown = set(args.candidates) - set(CANDIDATES)
    if unknown:
        parser.error(f"unknown candidates: {', '.join(sorted(unknown))}; choose from {', '.join(CANDIDATES)}")
    candidates = {key: CANDIDATES[key] for key in args.candidates or CANDIDATES}
    if args.before:
        candidates = {"before": (f"itnews at {args.before}", lambda: itnews_at(args.before)), **candidates}

    sets = {key: (label, loader(), optional) for key, (label, loader, optional) in SETS.items()}
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    print(f"Python {platform.python_version()} ({sys.platform}, {platform.machine()}); {versions}")
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}\n")
    for label, paragraphs, _ in sets.values():
        boundaries = sum(len(paragraph.starts) for paragraph in paragraphs)
        optional = sum(len(paragraph.optional) for paragraph in paragraphs)
        print(f"- {label}: {len(paragraphs)} paragraphs, {boundaries} boundaries ({optional} optional)")
    splitters = {key: factory() for key, (_, factory) in candidates.items()}
    print("\nF1 (P/R), exact paragraphs; 'excluded': the optional boundaries neither required nor errors\n")
    header = " | ".join(name for name, _ in candidates.values())
    print(f"| set | way | {header} |")
    print("|---|---|" + "---:|" * len(candidates))
    for label, paragraphs, optional in sets.values():
        ways = [("all", False)] + ([(f"{optional} excluded", True)] if optional else [])
        for way, exclude in ways:
            cells = []
            for key in candidates:
                started = time.perf_counter()
                result = score(splitters[key], paragraphs, exclude)
                seconds = time.perf_counter() - started
                whole = f"{result['exact']}/{result['paragraphs']}"
                if not any(paragraph.starts for paragraph in paragraphs):
                    cells.append(f"{whole} whole")  # nothing to find: F1 says nothing here
                else:
                    cells.append(f"{result['f1']:.3f} ({result['p']:.3f}/{result['r']:.3f}), {whole}")
                if seconds > 5:
                    cells[-1] += f" [{seconds:.1f} s]"
            print(f"| {label} | {way} | {' | '.join(cells)} |", flush=True)
    bodies = news_bodies()
    cells = [long_sentences(splitters[key], bodies) for key in candidates]
    label = f"news-2024, all {len(bodies)} paragraphs"
    print(f"| {label} | sentences > {LONG_SENTENCE_WORDS} words | {' | '.join(cells)} |")
    print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
