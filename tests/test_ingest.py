"""Ingest: decoding, each cleaning rule, sentence segmentation, language check, bad input."""

import pytest

from itnews.core.record import InputError, Record
from itnews.ingest.blocks import split_blocks
from itnews.ingest.clean import MAX_ARTICLE_CHARS, clean_record, read_article
from itnews.ingest.read import decode_bytes
from itnews.ingest.sentences import split_sentences

BODY = (
    "Il Consiglio comunale di Bologna ha approvato ieri sera il nuovo piano per la mobilità urbana. "
    "Il documento prevede tre linee di tram entro il 2030 e una rete di piste ciclabili lunga 90 chilometri. "
    "L'assessore ai trasporti ha detto che i lavori partiranno già nella prossima primavera."
)


def article_from(text: str, strict_lang: bool = False):
    return clean_record(Record(id="test", text=text, source="test.txt"), strict_lang=strict_lang)


# --- decoding and Unicode -------------------------------------------------------------------


def test_utf8_with_bom_is_decoded_without_the_bom():
    warnings = []
    assert decode_bytes("\ufeffCittà".encode(), "x", warnings) == "Città"
    assert warnings == []


def test_cp1252_file_is_decoded_with_a_warning():
    warnings = []
    text = decode_bytes("Perché la città è “più” bella però".encode("cp1252"), "x", warnings)
    assert text == "Perché la città è “più” bella però"
    assert "cp1252" in warnings[0]


def test_utf16_with_bom_is_decoded():
    assert decode_bytes("Città di Milano".encode("utf-16"), "x", []) == "Città di Milano"


def test_mojibake_is_repaired():
    article = article_from("La cittÃ  Ã¨ cambiata perchÃ© il Comune ha deciso cosÃ¬ dopo un anno di lavori.")
    assert "città è cambiata perché" in article.text
    assert "Ã" not in article.text


def test_text_is_nfc_normalised():
    decomposed = "La citta\u0300 e\u0300 cambiata dopo un anno di lavori e di discussioni in Consiglio."
    article = article_from(decomposed)
    assert "città è" in article.text
    assert "\u0300" not in article.text


def test_typographic_quotes_and_apostrophes_are_kept():
    article = article_from("L’assessore ha detto: «Il tram arriverà nel 2030, come “promesso”». " + BODY)
    assert "L’assessore" in article.text and "«Il tram" in article.text and "“promesso”" in article.text


# --- structure and boilerplate --------------------------------------------------------------


def test_whitespace_runs_and_blank_lines_are_collapsed():
    article = article_from(
        "Il   Consiglio\tcomunale  ha votato.  \n\n\n\nIl sindaco\u00a0ha parlato a lungo."
    )
    assert article.text == "Il Consiglio comunale ha votato.\n\nIl sindaco ha parlato a lungo."


def test_lines_of_one_paragraph_are_joined():
    article = article_from("Il Consiglio comunale\nha votato ieri sera.")
    assert article.sentences == ["Il Consiglio comunale ha votato ieri sera."]


@pytest.mark.parametrize(
    "footer",
    [
        "© RIPRODUZIONE RISERVATA",
        "Riproduzione riservata ©",
        "Leggi anche: Il sindaco incontra i commercianti",
        "Iscriviti alla newsletter per ricevere ogni mattina le notizie",
        "Condividi su Facebook",
        "Condividi questo articolo",
        "Seguici su Facebook e Instagram",
        "Scarica la nostra app",
        "Editoriale Esempio S.p.A. – P.IVA 01234567890",
        "Tutti i diritti riservati",
    ],
)
def test_boilerplate_lines_are_dropped(footer):
    article = article_from(f"{BODY}\n\n{footer}")
    assert footer.split()[0] not in article.text.split("\n\n")[-1]
    assert article.text == article_from(BODY).text


def test_long_sentence_mentioning_a_newsletter_is_kept():
    sentence = (
        "Il quotidiano ha lanciato una newsletter dedicata alla politica locale, che secondo la direzione "
        "ha raggiunto in tre mesi oltre ventimila iscritti in tutta la regione e continua a crescere."
    )
    assert sentence in article_from(f"{BODY}\n\n{sentence}").text


def test_related_links_list_under_leggi_anche_is_dropped():
    text = f"{BODY}\n\nLeggi anche:\n- Il sindaco incontra i commercianti\n- Nuove corse dei bus"
    article = article_from(text)
    assert "commercianti" not in article.text and "bus" not in article.text


def test_list_items_become_sentences_of_their_own():
    text = "I numeri del piano:\n- tre linee di tram\n• 90 chilometri di piste ciclabili\n- 1.200 posti bici"
    article = article_from(f"{BODY}\n\n{text}")
    assert article.sentences[-4:] == [
        "I numeri del piano:",
        "tre linee di tram",
        "90 chilometri di piste ciclabili",
        "1.200 posti bici",
    ]
    assert "- tre linee di tram\n- 90 chilometri" in article.text


def test_headings_are_kept_as_sentences():
    blocks = split_blocks(
        f"{BODY}\n\nLe reazioni dell'opposizione\n\nLa minoranza ha votato contro il piano."
    )
    assert [b.kind for b in blocks] == ["paragraph", "heading", "paragraph"]
    article = article_from(
        f"{BODY}\n\nLe reazioni dell'opposizione\n\nLa minoranza ha votato contro il piano."
    )
    assert "Le reazioni dell'opposizione" in article.sentences
    assert [article.sentences[i] for i in article.headings] == ["Le reazioni dell'opposizione"]


def test_first_headline_line_becomes_the_title():
    article = article_from(f"Bologna approva il piano dei tram\n\n{BODY}")
    assert article.title == "Bologna approva il piano dei tram"
    assert not article.text.startswith("Bologna approva")


def test_repeated_paragraph_is_dropped():
    repeated = "Il sindaco ha ringraziato i tecnici del Comune per il lavoro svolto negli ultimi due anni."
    article = article_from(f"{BODY}\n\n{repeated}\n\n{repeated}\n\nLa seduta si è chiusa alle 23.")
    assert article.text.count(repeated) == 1
    assert article.text.endswith("La seduta si è chiusa alle 23.")


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Il dott. Rossi della Fiat S.p.A. ha parlato ieri.",
        "L'art. 81 della Costituzione impone il pareggio di bilancio.",
        "Secondo l’art. 3 tutti i cittadini hanno pari dignità sociale.",
        "Il PIL è cresciuto del 38,5% rispetto al 2020.",
        "Alla manifestazione c'erano 1.000 persone e 3.500 biciclette.",
        "Lo ha scritto il prof. Bianchi a pag. 4 del rapporto.",
        "La dott.ssa Verdi ha firmato il decreto n. 34 del ministero.",
        "L'on. Meloni e il sen. Renzi si sono incontrati alle 10.30 a Roma.",
    ],
)
def test_abbreviations_and_numbers_do_not_split_sentences(sentence):
    follow = "Poi la seduta è stata sospesa."
    assert split_sentences(f"{sentence} {follow}") == [sentence, follow]


def test_question_exclamation_and_quotes_end_sentences():
    text = "Che cosa succederà ora? Nessuno lo sa! «Aspettiamo il voto», ha detto il ministro. Poi è uscito."
    assert split_sentences(text) == [
        "Che cosa succederà ora?",
        "Nessuno lo sa!",
        "«Aspettiamo il voto», ha detto il ministro.",
        "Poi è uscito.",
    ]


# --- language ------------------------------------------------------------------------------


ENGLISH = (
    "The city council approved the new urban mobility plan last night. The plan includes three tram "
    "lines by 2030 and a network of cycle lanes ninety kilometres long."
)


def test_italian_is_detected():
    article = article_from(BODY)
    assert article.lang == "it"
    assert article.warnings == []


def test_non_italian_article_gets_a_warning_and_is_kept():
    article = article_from(ENGLISH)
    assert article.lang == "en"
    assert any("not Italian" in w for w in article.warnings)
    assert article.sentences


def test_non_italian_article_is_refused_with_strict_lang():
    with pytest.raises(InputError, match="not Italian"):
        article_from(ENGLISH, strict_lang=True)


# --- files and bad input --------------------------------------------------------------------


def test_html_page_main_text_and_title(tmp_path):
    page = tmp_path / "pagina.html"
    page.write_text(
        "<html><head><title>Bologna, via libera ai tram | Giornale</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/politica'>Politica</a></nav>"
        "<div class='cookie'>Questo sito usa cookie. Accetta</div>"
        f"<article><h1>Bologna, via libera ai tram</h1><p>{BODY}</p>"
        "<p>Il progetto costerà 500 milioni di euro, finanziati in gran parte con fondi europei.</p>"
        "</article>"
        "<footer>© RIPRODUZIONE RISERVATA - Editoriale Esempio S.p.A. P.IVA 01234567890</footer>"
        "</body></html>",
        encoding="utf-8",
    )
    article = read_article(str(page))
    assert article.title.startswith("Bologna, via libera ai tram")
    assert article.sentences[0].startswith("Il Consiglio comunale di Bologna")
    assert "500 milioni" in article.text
    for furniture in ("Home", "cookie", "RIPRODUZIONE", "P.IVA"):
        assert furniture not in article.text
    assert article.id == "pagina"


def test_html_without_article_text_is_an_error(tmp_path):
    page = tmp_path / "vuota.html"
    page.write_text("<html><body><nav>Home</nav><script>var x = 1;</script></body></html>")
    with pytest.raises(InputError, match="no article text"):
        read_article(str(page))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_article(str(tmp_path / "manca.txt"))


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        read_article(str(tmp_path))


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  \n"])
def test_empty_or_whitespace_file(tmp_path, content):
    path = tmp_path / "vuoto.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty input"):
        read_article(str(path))


def test_binary_file(tmp_path):
    path = tmp_path / "immagine.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_article(str(path))


def test_undecodable_bytes(tmp_path):
    import random

    generator = random.Random(7)
    noise = bytes(generator.randrange(1, 256) for _ in range(4000))
    path = tmp_path / "rumore.txt"
    path.write_bytes(noise)
    with pytest.raises(InputError, match="undecodable"):
        read_article(str(path))


def test_only_boilerplate_is_an_error():
    with pytest.raises(InputError, match="no article text left"):
        article_from("© Riproduzione riservata\n\nLeggi anche: altro\n\nCondividi su Facebook")


def test_oversized_article_is_refused_quickly(tmp_path):
    path = tmp_path / "enorme.txt"
    path.write_text((BODY + "\n\n") * (5_000_000 // len(BODY)), encoding="utf-8")
    assert path.stat().st_size > 4_900_000
    with pytest.raises(InputError, match=f"limit {MAX_ARTICLE_CHARS:,}"):
        read_article(str(path))


def test_stdin(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BODY.encode("utf-8"))))
    article = read_article("-")
    assert article.id == "stdin" and article.source == "stdin"
    assert len(article.sentences) == 3
