"""Italian sentence segmenters measured for quality and speed (eval/SEGMENTATION.md).

    python eval/segmenters.py [CANDIDATE ...] [--long-timeout SECONDS]

CANDIDATE is a key of CANDIDATES below (default: all of them).

Quality, on the project's cases (tests/sentence_cases.py): the share of cases segmented exactly
right, and boundary precision and recall (a boundary is the count of non-space characters before
a sentence, so libraries that respace text are scored fairly). And, on text none of the rules
were written for, how many of the corpus paragraphs each candidate segments exactly as today's
pysbd setup does.

Speed, single-threaded: corpus articles a second segmenting each paragraph of the 33 articles in
corpus/articles as `read_article` cleans them; articles a second for the whole of cleaning
(`read_article` with the candidate in place of `itnews.ingest.clean.split_sentences`); seconds for one
190,000-character paragraph of corpus text. Each candidate runs in a forked child, so one's
state (pysbd's regular-expression cache, above all) cannot help or hurt another; the long
paragraph runs in a child of its own, stopped after --long-timeout seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

from itnews.ingest.clean import read_article

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "corpus" / "articles"
LONG_CHARS = 190_000
MIN_SECONDS = 2.0  # repeat a speed measurement until it has run this long
PACKAGES = ["pysbd", "sentencex", "sentence-splitter", "nupunkt", "blingfire", "spacy"]


# --- candidates: each a function that returns a splitter, called in the child that measures it -----


def pysbd_today():
    """pysbd as ingest.py set it up at be06331 (since moved to clean.py): the Italian language
    module with the project's extra abbreviations. Frozen here so that this row stays today's
    segmenter after the pipeline switches to itnews.ingest.sentences."""
    import pysbd
    from pysbd.lang.italian import Italian

    articles = ("l", "dell", "all", "nell", "dall", "sull")
    elisions = [f"{article}{mark}" for article in articles for mark in "'’"]
    elided_numbers = [elision + abbr for abbr in ("art", "artt") for elision in elisions]
    elided_titles = [elision + abbr for abbr in ("on", "avv", "ing", "arch", "amm") for elision in elisions]
    extra = ["pag", "pagg", "n", "nn", "dott.ssa", "prof.ssa", "avv.ssa", "sez", "ca"]

    class ItalianNews(Italian):
        class Abbreviation(Italian.Abbreviation):
            ABBREVIATIONS = Italian.Abbreviation.ABBREVIATIONS + extra + elided_numbers + elided_titles
            PREPOSITIVE_ABBREVIATIONS = Italian.Abbreviation.PREPOSITIVE_ABBREVIATIONS + elided_titles
            NUMBER_ABBREVIATIONS = (
                Italian.Abbreviation.NUMBER_ABBREVIATIONS + ["pag", "pagg", "n", "nn"] + elided_numbers
            )

    segmenter = pysbd.Segmenter(language="it", clean=False)
    segmenter.language_module = ItalianNews
    return segmenter.segment


def pysbd_big_cache():
    """Today's setup with Python's pattern cache raised from 512 to 4096 entries, so pysbd's
    per-abbreviation patterns are compiled once (a private attribute: measured, not proposed)."""
    import re

    re._MAXCACHE = 4096
    return pysbd_today()


def sentencex_it():
    import sentencex

    return lambda text: list(sentencex.segment("it", text))


def sentence_splitter_it():
    from sentence_splitter import SentenceSplitter

    return SentenceSplitter(language="it").split


def sentence_splitter_project():
    """sentence-splitter's Italian prefixes plus the project's abbreviations."""
    import sentence_splitter
    from sentence_splitter import SentenceSplitter

    from itnews.ingest.sentences import ABBREVIATIONS

    stock = Path(sentence_splitter.__file__).parent / "non_breaking_prefixes" / "it.txt"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as prefixes:
        prefixes.write(stock.read_text(encoding="utf-8") + "\n" + "\n".join(sorted(ABBREVIATIONS)) + "\n")
    splitter = SentenceSplitter(language="it", non_breaking_prefix_file=prefixes.name)
    os.unlink(prefixes.name)
    return splitter.split


def nupunkt_default():
    import nupunkt  # its bundled model is trained on English legal text; there is no Italian one

    return nupunkt.sent_tokenize


def blingfire_default():
    import blingfire

    return lambda text: blingfire.text_to_sentences(text).split("\n")


def spacy_sentencizer(project_rules: bool = False):
    import spacy

    nlp = spacy.blank("it")
    nlp.add_pipe("sentencizer")
    if project_rules:
        import string

        from spacy.language import Language
        from spacy.symbols import ORTH

        from itnews.ingest.sentences import ABBREVIATIONS

        # Keep abbreviations, initials, eras and company forms whole, so that their period is no
        # sentence end (spaCy splits "S.p.A." into "S.p", ".", "A."); and a word in lower case
        # never starts a sentence.
        spellings = {case for form in ABBREVIATIONS for case in (form, form.capitalize(), form.upper())}
        spellings |= {*string.ascii_letters, "a.C", "d.C", "S.p.A", "S.r.l", "S.n.c"}
        for spelling in spellings:
            nlp.tokenizer.add_special_case(f"{spelling}.", [{ORTH: f"{spelling}."}])

        @Language.component("lower_case_continues")
        def lower_case_continues(doc):
            for token in doc[1:]:
                # Test before setting: each assignment rescans the doc (18.7 s for 190,000
                # characters when every lower-case token was set).
                if token.is_sent_start and token.text[:1].islower():
                    token.is_sent_start = False
            return doc

        nlp.add_pipe("lower_case_continues", after="sentencizer")
    return lambda text: [sentence.text for sentence in nlp(text).sents]


def itnews_sentences():
    from itnews.ingest.sentences import split_sentences

    return split_sentences


CANDIDATES = {  # key: (label in the table, function that returns the splitter)
    "pysbd": ("pysbd, today's setup", pysbd_today),
    "pysbd-cache": ("pysbd, today's setup, re cache 4096", pysbd_big_cache),
    "sentencex": ("sentencex (it)", sentencex_it),
    "sentence-splitter": ("sentence-splitter (it prefixes)", sentence_splitter_it),
    "sentence-splitter-project": ("sentence-splitter (it + project's)", sentence_splitter_project),
    "nupunkt": ("nupunkt (default model)", nupunkt_default),
    "blingfire": ("blingfire", blingfire_default),
    "spacy": ("spaCy blank it + sentencizer", spacy_sentencizer),
    "spacy-project": ("spaCy sentencizer + project rules", lambda: spacy_sentencizer(project_rules=True)),
    "itnews": ("itnews.ingest.sentences (chosen)", itnews_sentences),
}


# --- measurements --------------------------------------------------------------------------------


def load_cases() -> list[list[str]]:
    spec = importlib.util.spec_from_file_location("sentence_cases", ROOT / "tests" / "sentence_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def stripped(split, text: str) -> list[str]:
    return [sentence.strip() for sentence in split(text) if sentence.strip()]


def boundaries(sentences: list[str]) -> set[int]:
    """Where each sentence after the first starts, counted in non-space characters."""
    ends, count = set(), 0
    for sentence in sentences[:-1]:
        count += sum(not char.isspace() for char in sentence)
        ends.add(count)
    return ends


def quality(split, cases: list[list[str]]) -> dict:
    exact = found = right = expected = 0
    for case in cases:
        got = stripped(split, " ".join(case))
        exact += got == case
        predicted, truth = boundaries(got), boundaries(case)
        found, right, expected = found + len(predicted), right + len(predicted & truth), expected + len(truth)
    return {
        "exact": exact / len(cases),
        "precision": right / found if found else 1.0,
        "recall": right / expected,
    }


def per_second(run, count: int) -> float:
    """``count`` items a pass: items a second over repeated passes after a warm-up pass."""
    run()
    passes, started = 0, time.perf_counter()
    while passes == 0 or time.perf_counter() - started < MIN_SECONDS:
        run()
        passes += 1
    return passes * count / (time.perf_counter() - started)


def segment_corpus(factory, articles: list[list[str]]) -> list[list[list[str]]]:
    split = factory()
    return [[stripped(split, paragraph) for paragraph in paragraphs] for paragraphs in articles]


def measure(factory, cases, articles, paths, today) -> dict:
    split = factory()
    result = quality(split, cases)
    result["as_today"] = sum(
        stripped(split, paragraph) == sentences
        for paragraphs, segmented in zip(articles, today, strict=True)
        for paragraph, sentences in zip(paragraphs, segmented, strict=True)
    )
    result["segment"] = per_second(
        lambda: [split(paragraph) for paragraphs in articles for paragraph in paragraphs], len(articles)
    )
    import itnews.ingest.clean

    itnews.ingest.clean.split_sentences = lambda text: stripped(split, text)
    result["clean"] = per_second(lambda: [read_article(str(path)) for path in paths], len(paths))
    return result


def time_long(factory, text: str) -> float:
    split = factory()
    split("Prima frase. Seconda frase.")
    started = time.perf_counter()
    split(text)
    return time.perf_counter() - started


def _child(send, function, args) -> None:
    try:
        send.send(function(*args))
    except Exception as error:  # reported in the table, not raised: one failure must not stop the rest
        send.send(f"{type(error).__name__}: {error}")


def in_child(function, *args, timeout: float | None = None):
    """``function(*args)`` in a forked process: its result, an error string, or None on timeout."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, args))
    process.start()
    send.close()
    try:
        result = receive.recv() if receive.poll(timeout) else None
    except EOFError:
        result = f"the process died (exit code {process.exitcode})"
    if result is None:
        process.kill()
    process.join()
    return result


def corpus() -> tuple[list[Path], list[list[str]]]:
    """The corpus article files and, for each, its cleaned paragraphs (list blocks left out:
    cleaning does not segment them)."""
    paths = sorted(path for path in ARTICLES.iterdir() if path.suffix in (".txt", ".html"))
    articles = [
        [
            block.replace("\n", " ")
            for block in read_article(str(path)).text.split("\n\n")
            if not block.startswith("- ")
        ]
        for path in paths
    ]
    return paths, articles


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="*", metavar="CANDIDATE", help=", ".join(CANDIDATES))
    parser.add_argument(
        "--long-timeout",
        type=float,
        default=240.0,
        help="seconds allowed for the 190,000-character paragraph",
    )
    args = parser.parse_args()
    unknown = set(args.candidates) - set(CANDIDATES)
    if unknown:
        parser.error(f"unknown candidates: {', '.join(sorted(unknown))}; choose from {', '.join(CANDIDATES)}")

    cases = load_cases()
    paths, articles = corpus()
    prose = " ".join(paragraph for paragraphs in articles for paragraph in paragraphs)
    long_text = " ".join([prose] * (LONG_CHARS // len(prose) + 1))[:LONG_CHARS]
    today = in_child(segment_corpus, pysbd_today, articles)
    paragraphs = sum(len(segmented) for segmented in today)
    print(
        f"{len(cases)} cases ({sum(len(case) - 1 for case in cases)} boundaries); {len(paths)} articles, "
        f"{paragraphs} paragraphs ({len(prose.split()) / len(articles):.0f} words an article)"
    )
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    print(f"Python {platform.python_version()}, {platform.machine()}; {versions}")
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}\n")
    print(
        "| candidate | exact | boundary P | boundary R | corpus ¶ as today | segment, articles/s "
        "| clean, articles/s | 190k-char paragraph |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key in args.candidates or CANDIDATES:
        name, factory = CANDIDATES[key]
        result = in_child(measure, factory, cases, articles, paths, today)
        if isinstance(result, str):
            print(f"| {name} | {result} |" + " |" * 7)
            continue
        seconds = in_child(time_long, factory, long_text, timeout=args.long_timeout)
        if seconds is None:
            seconds = f"> {args.long_timeout:.0f} s (stopped)"
        elif not isinstance(seconds, str):
            seconds = f"{seconds:.2f} s"
        cells = [
            name,
            f"{result['exact']:.1%}",
            f"{result['precision']:.1%}",
            f"{result['recall']:.1%}",
            f"{result['as_today']}/{paragraphs}",
            f"{result['segment']:,.0f}",
            f"{result['clean']:,.1f}",
            seconds,
        ]
        print(f"| {' | '.join(cells)} |", flush=True)
    print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
