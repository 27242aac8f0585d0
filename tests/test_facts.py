"""The faithfulness guard: fact extraction (itnews.facts.extract), support checks (itnews.facts.support)."""

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from itnews.facts.extract import extract_facts
from itnews.facts.support import check_summary

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def facts_of(text: str, lang: str = "it", kind: str | None = None) -> list:
    return [f for f in extract_facts(text, lang) if kind is None or f.kind == kind]


def only(text: str, lang: str = "it", kind: str | None = None):
    found = facts_of(text, lang, kind)
    assert len(found) == 1, found
    return found[0]


def flagged(summary: str, article: str, lang: str = "it", **options) -> list[str]:
    return [f.text for f in check_summary(summary, article, lang, "it", **options).unsupported]


# --- figures -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,lang,value",
    [
        ("1,5", "it", 1.5),
        ("1.234.567", "it", 1234567),
        ("38.000", "it", 38000),
        ("1.234,5", "it", 1234.5),
        ("1,234,567", "en", 1234567),
        ("1.5", "en", 1.5),
        ("38,000", "en", 38000),
        ("trentotto", "it", 38),
        ("duecentocinquanta", "it", 250),
        ("thirty-eight", "en", 38),
        ("two hundred and fifty", "en", 250),
        ("un terzo", "it", 1 / 3),
        ("two thirds", "en", 2 / 3),
        ("mezzo milione", "it", 500_000),
        ("half a million", "en", 500_000),
        ("due milioni e mezzo", "it", 2_500_000),
        ("27,8 milioni", "it", 27_800_000),
        ("38mila", "it", 38_000),
        ("1,2 mln", "it", 1_200_000),
    ],
)
def test_numbers_in_digits_and_words(text, lang, value):
    fact = only(f"Sono {text} persone." if lang == "it" else f"There are {text} people.", lang)
    assert fact.kind == "number"
    assert fact.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text,lang",
    [
        ("38 miliardi di dollari", "it"),
        ("38 mld $", "it"),
        ("$38bn", "en"),
        ("38 billion dollars", "en"),
        ("US$38 billion", "en"),
        ("38 miliardi di USD", "it"),
    ],
)
def test_amounts_in_every_form_normalise_to_one_value(text, lang):
    fact = only(f"Ha investito {text} nel progetto." if lang == "it" else f"It invested {text} in it.", lang)
    assert (fact.kind, fact.value, fact.unit) == ("amount", 38e9, "USD")


@pytest.mark.parametrize(
    "text,lang,kind,value,unit",
    [
        ("€1.2 billion", "en", "amount", 1.2e9, "EUR"),
        ("1,2 miliardi di euro", "it", "amount", 1.2e9, "EUR"),
        ("0,22 euro", "it", "amount", 0.22, "EUR"),
        ("£5m", "en", "amount", 5e6, "GBP"),
        ("3 milioni di sterline", "it", "amount", 3e6, "GBP"),
        ("l'1,4%", "it", "percent", 1.4, "%"),
        ("il 5 per cento", "it", "percent", 5, "%"),
        ("5 percent", "en", "percent", 5, "%"),
        ("2 punti percentuali", "it", "percent", 2, "pp"),
        ("2 percentage points", "en", "percent", 2, "pp"),
        ("0.5pp", "en", "percent", 0.5, "pp"),
    ],
)
def test_currencies_percentages_and_percentage_points(text, lang, kind, value, unit):
    fact = only(text, lang)
    assert (fact.kind, fact.unit) == (kind, unit)
    assert fact.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text,lang,value,unit",
    [
        ("per sette anni", "it", 7, "year"),
        ("a seven-year deal", "en", 7, "year"),
        ("per tre mesi", "it", 3, "month"),
        ("trent'anni prima", "it", 30, "year"),
        ("uno sciopero di 24 ore", "it", 24, "hour"),
        ("a 24-hour strike", "en", 24, "hour"),
        ("the 22-year-old", "en", 22, "year"),
    ],
)
def test_durations(text, lang, value, unit):
    fact = only(text, lang, "duration")
    assert (fact.value, fact.unit) == (value, unit)


@pytest.mark.parametrize(
    "text,lang,value",
    [
        ("il 3 novembre 2025", "it", (2025, 11, 3)),
        ("il 3/11/2025", "it", (2025, 11, 3)),
        ("a novembre 2025", "it", (2025, 11, None)),
        ("nel 2025", "it", (2025, None, None)),
        ("dal 1° marzo", "it", (None, 3, 1)),
        ("on November 3", "en", (None, 11, 3)),
        ("on 3 November 2025", "en", (2025, 11, 3)),
        ("on November 3, 2025", "en", (2025, 11, 3)),
        ("since 1990", "en", (1990, None, None)),
    ],
)
def test_dates(text, lang, value):
    fact = only(text, lang)
    assert (fact.kind, fact.value) == ("date", value)


def test_a_date_range_gives_both_days_and_a_year_is_no_plain_number():
    days = [f.value for f in facts_of("dal 6 al 22 febbraio 2026", kind="date")]
    assert days == [(2026, 2, 6), (2026, 2, 22)]
    assert facts_of("Nel 2025 ha assunto 2.000 persone.", kind="number")[0].value == 2000
    assert not facts_of("It may rain in Rome.", "en", "date")  # "may" is a verb


@pytest.mark.parametrize(
    "text,lang,bound",
    [
        ("circa 38 miliardi", "it", "~"),
        ("oltre 37 milioni", "it", ">"),
        ("quasi dieci minuti", "it", "<"),
        ("almeno il 70%", "it", ">"),
        ("poco meno di 300 euro", "it", "<"),
        ("about 480,000 euros", "en", "~"),
        ("more than 150 tremors", "en", ">"),
        ("nearly three years", "en", "<"),
        ("ha speso 38 miliardi", "it", "="),
    ],
)
def test_approximation_markers(text, lang, bound):
    fact = [f for f in extract_facts(text, lang) if f.kind != "name"][0]
    assert (fact.bound, fact.approx) == (bound, bound != "=")


def test_ordinals_and_articles_are_not_numbers():
    assert only("l'80ª Mostra", kind="ordinal").value == 80
    assert not facts_of("Un uomo e una donna hanno visto uno spettacolo.", kind="number")
    assert not facts_of("One of them came.", "en", "number")


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,lang,names",
    [
        ("Il Garante ha scritto a Sam Altman.", "it", ["Garante", "Sam Altman"]),
        (
            "La Banca d'Italia e la Cassa Depositi e Prestiti.",
            "it",
            ["Banca d'Italia", "Cassa Depositi e Prestiti"],
        ),
        ("Tra Francia e Spagna.", "it", ["Francia", "Spagna"]),
        ("Le accuse dell'OpenAI all'Aws.", "it", ["OpenAI", "Aws"]),
        ("Secondo l'Istat, i prezzi salgono.", "it", ["Istat"]),
        ("ChatGPT è sospeso. Ricercatori e medici protestano.", "it", ["ChatGPT"]),
        ("The company said. Restorers cleaned it. Thousands came to Milan.", "en", ["Milan"]),
        ("Florence's Vasari Corridor reopened on Monday in May.", "en", ["Florence", "Vasari Corridor"]),
        (
            "Abruzzo-born writer Donatella Di Pietrantonio won.",
            "en",
            ["Abruzzo", "Donatella Di Pietrantonio"],
        ),
    ],
)
def test_names(text, lang, names):
    assert [f.text for f in facts_of(text, lang, "name")] == names


def test_name_keys_are_folded_and_stripped_of_connectors():
    assert only("Ha vinto Tadej Pogačar.", kind="name").value == "tadej pogacar"
    assert only("Lo dice la Cassa Depositi e Prestiti.", kind="name").value == "cassa depositi prestiti"
    assert only("Lo dice la Banca d'Italia.", kind="name").value == "banca_d_italia"  # aliases.toml


# --- support -------------------------------------------------------------------------------------

ARTICLE = (
    "Il Garante per la protezione dei dati personali ha sanzionato OpenAI, guidata da Sam Altman. "
    "Il 3 novembre 2025 la società ha annunciato investimenti per 38 miliardi di dollari in sette anni "
    "all'Aws, pari al 12,5% del fatturato. Le imprese ne offrono 180 euro, circa 37,6 miliardi di euro "
    "finiranno alla Banca d'Italia e alla Commissione europea, a Roma e a Milano. Oltre 150 scosse, "
    "uno sciopero di 72 ore."
)


@pytest.mark.parametrize(
    "summary,lang",
    [
        ("OpenAI investirà 38 mld $ in sette anni.", "it"),
        ("Altman ha parlato il 3/11/2025.", "it"),
        ("L'AWS riceverà il 12,5%.", "it"),
        ("Le imprese offrono 180.", "it"),  # an amount without its currency
        ("Circa 38 miliardi di euro vanno alla Banca d'Italia.", "it"),  # 37,6 rounds to 38
        ("Oltre 37 miliardi di euro.", "it"),
        ("OpenAI will invest $38bn over a seven-year period, it said on November 3.", "en"),
        ("Sam Altman's OpenAI pays 38 billion dollars to AWS.", "en"),
        ("The Bank of Italy and the European Commission, in Rome and Milan.", "en"),
        ("On Monday, the President said in November that more than 150 quakes struck.", "en"),
        ("A strike of three days.", "en"),  # 72 hours
    ],
)
def test_supported_facts_are_not_flagged(summary, lang):
    assert flagged(summary, ARTICLE, lang) == []


@pytest.mark.parametrize(
    "summary,lang,flag",
    [
        ("OpenAI investirà 38 miliardi di sterline.", "it", "38 miliardi di sterline"),  # currency
        ("OpenAI investirà 38 milioni di dollari.", "it", "38 milioni di dollari"),  # scale
        ("OpenAI investirà 39 miliardi di dollari.", "it", "39 miliardi di dollari"),  # value
        ("Circa 41 miliardi di euro vanno alla Banca.", "it", "41 miliardi di euro"),
        ("Il 4 novembre 2025 ha annunciato.", "it", "4 novembre 2025"),
        ("A dicembre ha annunciato.", "it", "dicembre"),
        ("Nel 2024 ha annunciato.", "it", "2024"),
        ("In otto anni.", "it", "otto anni"),
        ("In sette mesi.", "it", "sette mesi"),
        ("Il 12,5 punti percentuali.", "it", "12,5 punti percentuali"),
        ("Lo ha detto Elon Musk.", "it", "Elon Musk"),
        (
            "Le imprese offrono 180 dollari.",
            "it",
            "180 dollari",
        ),  # an Italian article's bare figures are euros
        ("It will invest 38 billion pounds.", "en", "38 billion pounds"),
        ("It said so on November 4.", "en", "November 4"),
        ("It will take eight years.", "en", "eight years"),
        ("The Bank of Spain agreed.", "en", "Bank of Spain"),
    ],
)
def test_changed_facts_are_flagged(summary, lang, flag):
    assert flagged(summary, ARTICLE, lang) == [flag]


def test_an_approximate_figure_is_bounded_by_its_marker():
    article = "Sono state registrate 152 scosse e 9,6 milioni di presenze."
    assert flagged("Oltre 150 scosse.", article) == []
    assert flagged("Oltre 160 scosse.", article) == ["160"]
    assert flagged("Quasi 10 milioni di presenze.", article) == []
    assert flagged("Quasi 9 milioni di presenze.", article) == ["9 milioni"]
    assert flagged("Ci sono 9 scosse.", "Alle 9,30 ci sono state scosse.") == [
        "9"
    ]  # small numbers do not round


def test_check_result_counts_facts_and_serialises():
    check = check_summary("OpenAI investirà 39 miliardi di dollari nel 2024.", ARTICLE, "it")
    assert check.facts == 3
    assert check.to_dict() == {
        "facts": 3,
        "unsupported": [
            {"text": "39 miliardi di dollari", "kind": "amount", "value": 39e9, "unit": "USD"},
            {"text": "2024", "kind": "date", "value": [2024, None, None], "unit": None},
        ],
    }


# Ingest takes ~0.3 s an article (sentence segmentation), so the tests read a sample: the HTML
# pages, the Windows-1252 file and the articles densest in figures and names. eval/faithfulness.py
# checks the whole corpus (eval/FAITHFULNESS.md).
SAMPLE = ("cronaca-02", "tecnologia-02", "cultura-03", "economia-02", "politica-01", "sport-03")


@pytest.fixture(scope="module")
def corpus():
    from itnews.ingest.clean import read_article

    items = []
    for entry in map(json.loads, (CORPUS / "index.jsonl").open(encoding="utf-8")):
        if entry["id"] in SAMPLE:
            record = read_article(str(CORPUS / entry["path"]))
            items.append((record, f"{record.title}\n\n{record.text}"))
    return items


def test_extractive_summaries_of_corpus_articles_raise_no_flag(corpus):
    from itnews.summarise.extractive import summarise

    for record, article in corpus:
        for summary in (
            " ".join(record.sentences[:3]),
            summarise(record.sentences, "extractive", 70, record.title),
        ):
            assert check_summary(summary, article, "it").unsupported == []
            assert check_summary(summary, article, "it", trust_copied=False).unsupported == [], record.id


def test_references_of_corpus_articles_raise_only_the_known_flags(corpus):
    references = {r["id"]: r for r in map(json.loads, (CORPUS / "references.jsonl").open(encoding="utf-8"))}
    found = {
        (record.id, lang, f.text)
        for record, article in corpus
        for lang in ("it", "en")
        for f in check_summary(references[record.id][f"summary_{lang}"], article, lang).unsupported
    }
    # the article does not number the edition; sport-03's "22-year-old" is its "22enne"
    assert found == {("cultura-03", "it", "78ª")}


# --- robustness and cost -------------------------------------------------------------------------


def test_empty_junk_and_foreign_text_raise_nothing():
    rng = random.Random(7)
    junk = "".join(chr(rng.randrange(0x3000)) for _ in range(5000))
    binary = bytes(rng.randrange(256) for _ in range(5000)).decode("latin-1")
    for text in (
        "",
        " ",
        junk,
        binary,
        "Der Bundestag hat am 3. November 2025 rund 38 Milliarden Euro beschlossen.",
    ):
        for lang in ("it", "en", "de"):
            extract_facts(text, lang)
            check_summary(text, text, lang, "it")
    assert extract_facts("", "it") == [] and check_summary("", "", "it").facts == 0


def test_a_200k_character_text_is_checked_in_well_under_two_seconds():
    text = (
        "Il Senato ha approvato il 3 marzo 2025 una manovra da 28,5 miliardi di euro con 109 sì. " * 2300
    )[:200_000]
    check_summary("Il Senato ha approvato.", "Testo breve.", "it")  # word lists and tables load once
    start = time.perf_counter()
    check = check_summary("Il Senato ha approvato 30 miliardi.", text, "it", trust_copied=False)
    assert time.perf_counter() - start < 2.0
    assert [f.text for f in check.unsupported] == ["30 miliardi"]


def test_importing_the_module_loads_no_heavy_library():
    heavy = "{'wordfreq', 'text_to_num', 'Stemmer', 'stop_words'}"
    modules = "itnews.facts.extract, itnews.facts.support"
    code = f"import sys, {modules}; print(sorted({heavy} & set(sys.modules)))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "[]"
    )


# --- other forms of names and figures (eval/PARAPHRASE.md) -------------------------------------

FORMS_ARTICLE = (
    "Il governo francese e l'Onu hanno firmato un accordo con la Ue. L'Ucraina ha chiesto armi, e "
    "Nvidia vende GPU. Il colosso Apple e il gruppo Shell hanno investito. Il Parlamento ha approvato. "
    "Il Comitato Olimpico Nazionale Italiano ha premiato un 65enne di Napoli, nel Catanese, il 25 "
    "settembre alle 17:30, dopo quasi mezzo secolo e due anni e mezzo di lavori: una trentina di minuti, "
    "tra le 60 e le 70 ore, da 10 a 5 anni, per 37 milioni di franchi svizzeri. È la ventiquattresima tappa."
)


@pytest.mark.parametrize(
    "summary,lang",
    [
        ("La Francia e le Nazioni Unite hanno firmato con l'Unione europea.", "it"),  # demonym, expansions
        ("France, the United Nations and the EU signed a deal; the French said so.", "en"),
        ("Kiev ha chiesto armi.", "it"),  # a capital for its country
        ("Nvidia sells GPUs.", "en"),  # an acronym's English plural
        ("The company Apple and Shell invested.", "en"),  # names written alike in both languages
        ("The Parliament approved it.", "en"),  # a translated descriptor is not checked
        ("Il Coni ha premiato un uomo di 65 anni in provincia di Catania.", "it"),  # acronym, age, -ese
        ("A 65-year-old was honoured on 25/9 at 5.30 pm.", "en"),  # age, day/month, clock time
        ("Ci sono voluti quasi cinquant'anni e trenta mesi: circa 30 minuti e 60 ore.", "it"),
        ("It took ten years, CHF 37 million and the 24th stage.", "en"),
    ],
)
def test_other_forms_of_the_article_names_and_figures_are_supported(summary, lang):
    assert flagged(summary, FORMS_ARTICLE, lang) == []


@pytest.mark.parametrize(
    "summary,lang,flag",
    [
        ("La Germania ha firmato.", "it", "Germania"),  # a country the article does not name
        ("Germany signed the deal.", "en", "Germany"),
        ("Mosca ha chiesto armi.", "it", "Mosca"),
        ("Nvidia sells CPUs.", "en", "CPUs"),
        ("The company Amazon invested.", "en", "Amazon"),  # a common English word checked as a name
        ("Il Cip ha premiato un uomo.", "it", "Cip"),  # initials the article does not spell
        ("A 56-year-old was honoured.", "en", "56-year"),
        ("Ci sono volute circa 50 ore.", "it", "50 ore"),
        ("It cost 37 million euros.", "en", "37 million euros"),  # francs, not euros
    ],
)
def test_a_changed_name_or_figure_is_still_flagged(summary, lang, flag):
    assert flagged(summary, FORMS_ARTICLE, lang) == [flag]


def test_an_acronym_that_is_also_a_word_is_found_only_as_written():
    article = "Il governo usa un accordo firmato con la Nato."
    assert flagged("The UN signed.", article, "en") == ["UN"]  # "un" is an Italian article
    assert flagged("Gli Usa hanno firmato.", article) == ["Usa"]  # "usa" is a verb
    assert flagged("NATO signed.", article, "en") == []


def test_an_institution_named_by_its_kind_is_not_a_name_but_a_place_is():
    article = "Il governo ha approvato la riforma a Roma."
    assert flagged("La riforma è passata nel nostro Paese.", article) == []
    assert flagged("La riforma è passata a Paese.", article) == ["Paese"]  # no article: a place


def test_a_known_name_is_one_token_of_the_name_it_is_in_and_holds_its_figures():
    assert only("Ha vinto il Gran Premio d'Italia.", kind="name").value == "gran_premio italia"
    assert facts_of("Ha vinto in Formula 1 e nel Movimento 5 Stelle.", kind="number") == []


def test_a_sentence_that_opens_with_a_common_word_or_a_headline_raises_no_flag():
    article = "Il meteorologo Lorenzo Tedici prevede nuove regole sull'energia."
    assert flagged("Meteorologist Lorenzo Tedici expects rain.", article, "en") == []
    assert flagged("New Energy Rules Expected", article, "en") == []


def test_the_aliases_file_is_read_on_first_use_not_at_import():
    code = (
        "import itnews.facts.extract, itnews.facts.support; from itnews.facts.aliases import aliases; "
        "print(aliases.cache_info().currsize)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "0\n"
    )


def test_a_city_or_region_and_its_adjective_are_one_name():
    article = "La Procura capitolina indaga su un imprenditore calabrese e su una banca elvetica."
    assert (
        flagged("La Procura di Roma indaga su un uomo della Calabria e su una banca svizzera.", article) == []
    )
    assert (
        flagged("Rome prosecutors are investigating a Calabrian businessman and a Swiss bank.", article, "en")
        == []
    )
    assert flagged("La Procura di Milano indaga.", article) == ["Procura di Milano"]


def test_a_name_translated_word_by_word_keeps_its_latin_words_whatever_their_spelling():
    article = (
        "Il rabbino Menachem Lazar e i ricercatori dell'Istituto di biotecnologia molecolare, su posizioni "
        "euroscettiche, hanno parlato con il presidente Frank Steinmeier."
    )
    summary = "Rabbi Menachem Lazar and the Institute of Molecular Biotechnology took Eurosceptic positions."
    assert flagged(summary, article, "en") == []
    wrong = "The Institute of Cell Biochemistry spoke."
    assert flagged(wrong, article, "en") == ["Institute of Cell Biochemistry"]
    # a country of the aliases table is found by its forms alone: "Frank" is no France
    assert flagged("Steinmeier spoke of France.", article, "en") == ["France"]


def test_a_name_spelled_out_where_the_article_writes_its_acronym_is_supported():
    article = "Nel pomeriggio l'Iaf ha colpito Beirut; indaga la Gdf. Nel frattempo Per Olsen ha parlato."
    assert flagged("The Israeli Air Force struck Beirut.", article, "en") == []
    assert flagged("Indaga la Guardia di finanza.", article) == []
    assert flagged("The Israeli Navy struck Beirut.", article, "en") == ["Israeli Navy"]
    # a capitalised common word is no acronym: "Nuova era letteraria" does not spell "Nel"
    assert flagged("Lo dice la Nuova era letteraria.", article) == ["Nuova"]


@pytest.mark.parametrize(
    "summary,lang,flags",
    [
        ("Nel 1968 firmò un contratto di dieci anni.", "it", []),
        ("In 1968 he signed a ten-year contract.", "en", []),
        ("Nel '69 firmò un contratto di dieci anni.", "it", ["'69"]),  # another year
        ("In '68 he signed a five-year contract.", "en", ["five-year"]),  # another span
    ],
)
def test_a_year_after_an_apostrophe_and_a_span_of_years_in_one_word_are_figures(summary, lang, flags):
    article = "Nel '68 firmò un contratto decennale; l'80% lo approvò negli anni '60."
    assert flagged(summary, article, lang) == flags
    assert facts_of(article, kind="percent")[0].value == 80  # "l'80%" is an elision, not a year
    assert facts_of(article, kind="number")[0].value == 60  # "gli anni '60": a decade
