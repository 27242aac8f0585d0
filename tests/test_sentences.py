"""itnews.ingest.sentences: the project's Italian cases, glued sentences, linear time, thread safety."""

import sys
import threading
import time

import pytest

from itnews.ingest.sentences import split_sentences

from .sentence_cases import CASES, paragraph

LONG_CHARS = 190_000


@pytest.mark.parametrize("sentences", CASES, ids=[f"case{i:03d}" for i in range(len(CASES))])
def test_italian_case(sentences):
    assert split_sentences(paragraph(sentences)) == sentences


def test_blank_paragraph_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \t ") == []


def test_sentences_are_stripped_slices_of_the_input():
    assert split_sentences("  Il treno è partito.   Poi  si è fermato a Bologna.  ") == [
        "Il treno è partito.",
        "Poi  si è fermato a Bologna.",
    ]


GLUED = {  # a scraper dropped the space after the stop
    "after a word": (
        "La gara si è chiusa con la doppietta Mercedes.Nona e decima partiranno le Ferrari.",
        ["La gara si è chiusa con la doppietta Mercedes.", "Nona e decima partiranno le Ferrari."],
    ),
    "after a closing quote": (
        "Lo ha scritto 'Repubblica'.In base a quanto si apprende, la perquisizione è finita.",
        ["Lo ha scritto 'Repubblica'.", "In base a quanto si apprende, la perquisizione è finita."],
    ),
    "after a question mark": (
        "Chi ha vinto?La squadra di casa, per un punto.",
        ["Chi ha vinto?", "La squadra di casa, per un punto."],
    ),
    "beside decimals": (
        "Il Pil è salito del 3.5 per cento.Nel 2025 saranno creati 1.000 posti.",
        ["Il Pil è salito del 3.5 per cento.", "Nel 2025 saranno creati 1.000 posti."],
    ),
}

NOT_GLUED = {  # stops inside a token that are not sentence ends
    "company form": "La Marini S.p.A. ha chiuso il bilancio in utile.",
    "dotted acronym": "Il volo per gli U.S.A. parte alle nove.",
    "domain": "Il libro si ordina su Amazon.com e arriva in due giorni.",
    "capitalised domain": "Le foto sono su Flickr.Com da ieri.",
    "url": "Il bando è su https://www.comune.example.it/Bandi/Delibera.Finale da lunedì.",
    "e-mail": "Le domande vanno a mario.Rossi@example.it entro venerdì.",
    "decimals": "Il tasso è salito al 3.5 e i posti sono 1.000 in tutto.",
}


@pytest.mark.parametrize(("text", "sentences"), GLUED.values(), ids=GLUED.keys())
def test_glued_sentences_are_split(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("text", NOT_GLUED.values(), ids=NOT_GLUED.keys())
def test_stops_inside_names_addresses_and_numbers_do_not_split(text):
    assert split_sentences(text) == [text]


def prose(chars: int) -> str:
    text = " ".join(paragraph(case) for case in CASES)
    return " ".join([text] * (chars // len(text) + 1))[:chars]


def best_seconds(text: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        split_sentences(text)
        times.append(time.perf_counter() - started)
    return min(times)


def test_time_grows_linearly_with_paragraph_length():
    """Ten times the text should take ~10 times as long (~0.05 s for 190,000 characters on a
    shared 2-core machine); quadratic growth would take ~100 times. The bounds leave room for noise."""
    short, long = best_seconds(prose(LONG_CHARS // 10)), best_seconds(prose(LONG_CHARS))
    assert long < 10
    assert long / short < 30


DEGENERATE = {  # inputs that make backtracking or rescanning splitters quadratic
    "dots": "." * LONG_CHARS,
    "no-spaces": "a." * (LONG_CHARS // 2),
    "spaced-dots": ". " * (LONG_CHARS // 2),
    "guillemets": "«" * LONG_CHARS,
    "quotes": '" ' * (LONG_CHARS // 2),
    "brackets": "( " * (LONG_CHARS // 2),
    "unclosed": "« Fine. " * (LONG_CHARS // 8),
    "titles": "dott. " * (LONG_CHARS // 6),
    "ellipses": "… A " * (LONG_CHARS // 4),
    "glued": "ab.Cd" * (LONG_CHARS // 5),
    "straight-quotes-glued": '"a."B ' * (LONG_CHARS // 6),
}


@pytest.mark.parametrize("text", DEGENERATE.values(), ids=DEGENERATE.keys())
def test_degenerate_long_input_is_fast(text):
    assert best_seconds(text, runs=1) < 10


def test_two_threads_at_once_give_the_same_sentences():
    texts = [paragraph(case) for case in CASES]
    expected = [split_sentences(text) for text in texts]
    start = threading.Barrier(2)
    results: dict[int, list[list[str]]] = {}

    def split_all(worker: int) -> None:
        start.wait()
        results[worker] = [split_sentences(text) for _ in range(20) for text in texts]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to interleave the calls
    try:
        threads = [threading.Thread(target=split_all, args=(worker,)) for worker in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert results[0] == results[1] == expected * 20
