"""Paragraph structure of plain text: one paragraph per line or hard-wrapped, headings, subtitles, lists."""

import json
import textwrap

from itnews.core.record import Record
from itnews.ingest.blocks import split_blocks, wrap_width
from itnews.ingest.clean import clean_record

FIRST = (
    "Il Consiglio comunale di Bologna ha approvato ieri sera il nuovo piano per la mobilità urbana, "
    "dopo una seduta durata quasi sei ore. Il documento prevede tre linee di tram entro il 2030 e una "
    "rete di piste ciclabili lunga novanta chilometri, finanziata in parte con i fondi europei."
)
SECOND = (
    "Un accordo di questa portata non si vedeva in città da vent'anni, ha detto il sindaco, che ha "
    "ringraziato i consiglieri di maggioranza e di opposizione per il lavoro svolto nelle commissioni. "
    "Secondo la giunta i primi cantieri apriranno già nella prossima primavera."
)
THIRD = (
    "La minoranza ha votato contro il piano, giudicandolo troppo costoso per le casse del Comune, e ha "
    "chiesto che la spesa per i tram sia verificata da una commissione di esperti indipendenti. Il "
    "capogruppo ha annunciato un ricorso al Tar contro la delibera."
)
HEADING = "Le reazioni dei consiglieri"
SUBTITLE = "Il ricorso dell'opposizione"


def article(text: str) -> Record:
    return clean_record(Record(id="test", text=text, source="test.txt"))


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(block.kind, block.text) for block in split_blocks(text)]


def headings(record: Record) -> list[str]:
    return [record.sentences[i] for i in record.headings]


def glued(record: Record, heading: str) -> list[str]:
    """Sentences that hold the heading and more."""
    return [s for s in record.sentences if heading in s and s != heading]


# --- one paragraph per line ---------------------------------------------------------------


def test_one_paragraph_per_line_keeps_each_line_a_paragraph_and_headings_apart():
    text = f"{FIRST}\n{HEADING}\n{SECOND}\n{SUBTITLE}\n{THIRD}"
    assert kinds_and_texts(text) == [
        ("paragraph", FIRST),
        ("heading", HEADING),
        ("paragraph", SECOND),
        ("heading", SUBTITLE),
        ("paragraph", THIRD),
    ]
    record = article(text)
    assert headings(record) == [HEADING, SUBTITLE]
    assert glued(record, HEADING) == [] and glued(record, SUBTITLE) == []


def test_headline_on_the_first_line_becomes_the_title():
    record = article(f"Bologna approva il piano dei tram\n{FIRST}\n{SECOND}")
    assert record.title == "Bologna approva il piano dei tram"
    assert record.sentences[0].startswith("Il Consiglio comunale")


def test_line_that_goes_on_mid_sentence_is_joined_in_one_paragraph_per_line_text():
    text = f"{FIRST}\nIl sindaco ha parlato di una giornata\nstorica per la città.\n{SECOND}"
    joined = "Il sindaco ha parlato di una giornata storica per la città."
    assert kinds_and_texts(text) == [("paragraph", FIRST), ("paragraph", joined), ("paragraph", SECOND)]


def test_two_lines_going_on_mid_sentence_do_not_make_a_text_hard_wrapped():
    text = (
        "Il Consiglio comunale di Bologna ha approvato ieri sera il nuovo piano per la mobilità urbana, "
        "dopo una seduta durata quasi sei ore, e\n"
        "il documento prevede tre linee di tram entro il 2030 e una rete di piste ciclabili lunga novanta "
        "chilometri, finanziata in parte con i fondi europei.\n"
        f"{HEADING}\n"
        "Un accordo di questa portata non si vedeva in città da vent'anni, ha detto il sindaco, che ha "
        "ringraziato i consiglieri di maggioranza e di opposizione per il lavoro svolto e\n"
        "ha annunciato che i primi cantieri apriranno già nella prossima primavera."
    )
    assert wrap_width(text.splitlines()) is None
    assert [kind for kind, _ in kinds_and_texts(text)] == ["paragraph", "heading", "paragraph"]


def test_runs_of_spaces_separate_paragraphs_and_headings_on_one_line():
    text = f"{FIRST}\u00a0\u00a0 {HEADING} \u00a0\u00a0{SECOND}"
    assert kinds_and_texts(text) == [("paragraph", FIRST), ("heading", HEADING), ("paragraph", SECOND)]


def test_runs_of_spaces_in_the_line_s_opening_sentence_are_only_spacing():
    spaced = "Il   sindaco ha  parlato a lungo. \u00a0 Poi è uscito."
    assert kinds_and_texts(spaced) == [
        ("paragraph", "Il sindaco ha parlato a lungo."),
        ("paragraph", "Poi è uscito."),
    ]


# --- subtitles glued to the paragraph above -------------------------------------------------


def test_subtitle_glued_to_the_end_of_a_paragraph_is_split_from_it():
    text = f"{FIRST} {SUBTITLE}\n{SECOND}"
    assert kinds_and_texts(text) == [("paragraph", FIRST), ("heading", SUBTITLE), ("paragraph", SECOND)]
    assert glued(article(text), SUBTITLE) == []


def test_last_sentence_without_a_stop_at_the_end_of_the_text_is_not_a_heading():
    lead = f"{FIRST} Il costo complessivo dell'opera sarà di circa due miliardi di euro"
    assert kinds_and_texts(lead) == [("paragraph", lead)]


# --- hard-wrapped text ----------------------------------------------------------------------


def wrapped(paragraphs: list[str], width: int, separator: str) -> str:
    return separator.join(textwrap.fill(p, width) for p in paragraphs)


def test_hard_wrapped_text_is_told_apart_from_one_paragraph_per_line():
    assert wrap_width(wrapped([FIRST, SECOND, THIRD], 72, "\n\n").splitlines()) == 72
    assert wrap_width([FIRST, HEADING, SECOND, SUBTITLE, THIRD]) is None


def test_hard_wrapped_paragraphs_are_rejoined():
    written = article(f"{FIRST}\n\n{SECOND}\n\n{THIRD}")
    for width in (60, 72, 80):
        for separator in ("\n\n", "\n"):
            record = article(wrapped([FIRST, SECOND, THIRD], width, separator))
            assert record.sentences == written.sentences
            assert record.headings == []


def test_hard_wrapped_line_that_breaks_before_a_name_stays_in_its_sentence():
    text = (
        "Il Consiglio comunale di Bologna ha approvato ieri sera il piano per la\n"
        "mobilità urbana dopo una seduta durata sei ore, alla presenza del ministro\n"
        "Matteo Salvini, che ha promesso i fondi del governo per la terza linea.\n"
        "Il documento prevede tre linee di tram entro il 2030 e una rete di piste\n"
        "ciclabili lunga novanta chilometri, finanziata in parte con i fondi che\n"
        "l'Unione europea ha destinato alle città con più di trecentomila abitanti."
    )
    assert [kind for kind, _ in kinds_and_texts(text)] == ["paragraph"]
    assert "del ministro Matteo Salvini, che" in article(text).sentences[0]


def test_heading_in_hard_wrapped_text_stands_alone():
    for separator in ("\n\n", "\n"):
        body = [textwrap.fill(p, 72) for p in (FIRST, HEADING, SECOND)]
        record = article(separator.join(body))
        assert headings(record) == [HEADING]
        assert glued(record, HEADING) == []


def test_hard_wrapped_headline_over_two_lines_becomes_the_title():
    headline = "Bologna approva il piano della mobilità: tre linee di tram e novanta chilometri di piste"
    record = article(wrapped([headline, FIRST, SECOND], 60, "\n\n"))
    assert record.title == headline


def test_hard_wrapped_boilerplate_over_two_lines_is_dropped():
    footer = "Iscriviti alla newsletter per ricevere ogni mattina le notizie della tua città"
    record = article(wrapped([FIRST, SECOND, footer], 60, "\n\n"))
    assert "newsletter" not in record.text and "della tua città" not in record.text


# --- list items -----------------------------------------------------------------------------


def test_list_items_stay_items_in_one_paragraph_per_line_text():
    text = f"{FIRST}\nLe tre linee del piano:\n- la linea rossa\n- la linea verde\n- la linea blu\n{SECOND}"
    assert kinds_and_texts(text) == [
        ("paragraph", FIRST),
        ("paragraph", "Le tre linee del piano:"),
        ("item", "la linea rossa"),
        ("item", "la linea verde"),
        ("item", "la linea blu"),
        ("paragraph", SECOND),
    ]


def test_hard_wrapped_list_item_is_rejoined_and_the_paragraph_after_it_is_not():
    item = "la linea rossa, dalla stazione centrale all'ospedale Maggiore passando per il centro storico"
    lines = [
        textwrap.fill(FIRST, 72),
        textwrap.fill(f"- {item}", 72),
        "- la linea verde",
        textwrap.fill(SECOND, 72),
    ]
    text = "\n".join(lines)
    assert kinds_and_texts(text) == [
        ("paragraph", FIRST),
        ("item", item),
        ("item", "la linea verde"),
        ("paragraph", SECOND),
    ]


# --- mixed ----------------------------------------------------------------------------------


def test_blank_line_paragraphs_lines_and_lists_in_one_text():
    text = (
        f"Bologna approva il piano dei tram\n\n{FIRST}\n{HEADING}\n{SECOND}\n\n"
        f"Le linee:\n- la linea rossa\n- la linea verde\n\n{SUBTITLE}\n\n{THIRD}\n\n© Riproduzione riservata"
    )
    record = article(text)
    assert record.title == "Bologna approva il piano dei tram"
    assert headings(record) == [HEADING, SUBTITLE]
    assert glued(record, HEADING) == [] and glued(record, SUBTITLE) == []
    assert "la linea rossa" in record.sentences and "la linea verde" in record.sentences
    assert "Riproduzione" not in record.text


# --- the command line -----------------------------------------------------------------------


def test_summarise_json_keeps_headings_out_of_sentences_and_summary(cli, tmp_path):
    path = tmp_path / "articolo.txt"
    path.write_text(f"Bologna approva il piano dei tram\n{FIRST}\n{HEADING}\n{SECOND}\n{SUBTITLE}\n{THIRD}\n")
    ingested = cli("ingest", str(path), "--json")
    assert ingested.returncode == 0, ingested.stderr
    sentences = json.loads(ingested.stdout)["sentences"]
    assert HEADING in sentences and SUBTITLE in sentences
    assert not [s for s in sentences if s != HEADING and HEADING in s]
    for words in ("70", "200"):  # 200: every sentence that may be taken is
        completed = cli("summarise", str(path), "--json", "--words", words)
        assert completed.returncode == 0, completed.stderr
        summary = json.loads(completed.stdout)["summary_it"]
        assert summary.startswith("Il Consiglio comunale")
        assert HEADING not in summary and SUBTITLE not in summary and "Bologna approva" not in summary
