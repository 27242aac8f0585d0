"""`itnews digest`: stories from many outlets, summaries drawn from all of them with their sources,
and the figures they disagree on; checked on the project's story corpus (corpus/stories/)."""

import json
import re

import pytest

from itnews.core.record import Record
from itnews.digest.build import build_stories
from itnews.ingest.clean import Clean

from .conftest import CORPUS

STORIES = CORPUS / "stories"
LABELS = {label["id"]: label for label in map(json.loads, (STORIES / "labels.jsonl").open(encoding="utf-8"))}


def articles(*prefixes: str) -> list[Record]:
    records = [
        Record(
            id=i,
            text=(STORIES / label["path"]).read_text(encoding="utf-8"),
            source=label["path"],
            outlet=label["outlet"],
            published=label["date"],
        )
        for i, label in LABELS.items()
        if i.startswith(prefixes)
    ]
    return Clean()(records)


@pytest.fixture(scope="module")
def deal():
    """The cloud deal told by five outlets (one gives 138 billion instead of 38), and the same two
    companies' smaller deal in another week (two outlets)."""
    return build_stories(articles("s01", "d01"), 70)


def test_one_event_is_one_story_and_the_same_actors_another_week_another(deal):
    assert sorted(sorted(story.articles) for story in deal) == [
        sorted(i for i in LABELS if i.startswith("d01")),
        sorted(i for i in LABELS if i.startswith("s01")),
    ]
    main = next(story for story in deal if "s01-corriere" in story.articles)
    assert len(main.sources) == 5 and "Notizie Oggi" in main.sources


def test_the_changed_figure_is_a_conflict_and_rounding_or_a_missing_unit_are_not(deal):
    main = next(story for story in deal if "s01-corriere" in story.articles)
    [conflict] = [figure for figure in main.figures if figure["conflict"]]
    dissent = [v for v in conflict["values"] if not v["consensus"]]
    assert [(v["text"], v["articles"]) for v in dissent] == [("138 miliardi di dollari", ["s01-notizie"])]
    assert {a for v in conflict["values"] if v["consensus"] for a in v["articles"]} == {
        "s01-corriere",
        "s01-quotidiano",
        "s01-gazzetta",
        "s01-radio",
    }  # fmt: skip  ("38 mld $" is the same figure)
    rounded = [f for f in main.figures if any(v["text"] == "1,38" for v in f["values"])]
    assert rounded and not any(f["conflict"] for f in rounded)  # "circa 1,4" and "1,38 gigawatt"
    investment = [f for f in main.figures if any(v["value"] == 10e9 for v in f["values"])]
    assert investment and not any(f["conflict"] for f in investment)  # another thing's figure


def test_a_disputed_figure_is_said_beside_the_sentence_which_keeps_its_sources_words(deal):
    main = next(story for story in deal if "s01-corriere" in story.articles)
    assert main.summary_it == " ".join(sentence["text"] for sentence in main.sentences)
    [stating] = [s for s in main.sentences if "38 miliardi di dollari" in s["text"]]
    texts = {record.id: record.text for record in articles("s01")}
    assert stating["text"] in texts[stating["article"]] and "(una fonte" not in main.summary_it
    [dispute] = stating["disputed"]
    assert dispute["stated"] == "38 miliardi di dollari"
    assert dispute["others"] == [
        {"text": "138 miliardi di dollari", "date": "2025-11-03", "articles": ["s01-notizie"]}
    ]
    assert 40 <= len(main.summary_it.split()) <= 110


@pytest.fixture(scope="module")
def corpus_stories():
    return build_stories(articles("s", "d"), 70)


def test_every_figure_and_name_of_every_summary_sentence_is_in_its_own_article(corpus_stories):
    from itnews.facts.support import check_summary

    texts = {record.id: record.text for record in articles("s", "d")}
    checked = 0
    for story in corpus_stories:
        for sentence in story.sentences:
            article = texts[sentence["article"]]
            assert " ".join(sentence["text"].split()) in " ".join(article.split())
            result = check_summary(sentence["text"], article, "it", trust_copied=False)
            assert not result.unsupported, (sentence, result.unsupported)
            checked += result.facts
    assert checked > 100  # figures and names were there to check


def test_no_summary_states_a_figure_twice(corpus_stories):
    from itnews.facts.figures import figures

    for story in corpus_stories:
        seen = set()
        for sentence in story.sentences:
            specific = {
                (f.kind, f.value, f.unit)
                for f in figures(sentence["text"], "it")
                if f.kind in ("amount", "percent") or (f.kind == "number" and f.value >= 100)
            }
            assert not specific & seen, (story.story_id, sentence["text"])
            seen |= specific


def test_headlines_are_titles_and_without_titles_a_shortened_sentence(corpus_stories):
    titles = {record.title for record in articles("s", "d")}
    assert all(story.headline in titles for story in corpus_stories)
    [train] = [story for story in corpus_stories if "s06-corriere" in story.articles]
    assert "62" not in train.headline  # the title of the outlet the others contradict ("62 feriti"; 26)
    untitled = [
        Record(id=f"u{i}", text=r.text, source=r.source, outlet=r.outlet)
        for i, r in enumerate(articles("s06"))
    ]
    for record in untitled:
        record.text = record.text.split("\n", 1)[1]  # the title line out
    [story] = build_stories(Clean()(untitled), 70)
    assert story.headline and not story.headline.startswith("story-")
    assert len(story.headline.split()) <= 15
    assert any(" ".join(r.text.split()).find(story.headline.rstrip(" …")) >= 0 for r in untitled)


AVALANCHE = [  # four outlets over three days, written for this test
    ("a1", "Cronaca Alpina", "2026-03-02", "Valanga sul Monte Cervo, 12 morti tra gli escursionisti",
     "Una valanga si è staccata sabato mattina dal versante nord del Monte Cervo, in Val Ridanna, "
     "e ha travolto un gruppo di escursionisti. Il bilancio del Soccorso alpino è di 12 morti. Le "
     "squadre di soccorso cercano ancora i dispersi sotto la neve con due elicotteri e le unità "
     "cinofile. L'ultima valanga così grave in valle risale al 1998. Il sindaco di Ridanna, Marta "
     "Gruber, ha chiesto di evitare le escursioni in quota."),
    ("a2", "Giornale del Nord", "2026-03-03", "Valanga sul Monte Cervo, i morti salgono a 31",
     "Sale il bilancio della valanga che sabato ha travolto gli escursionisti sul Monte Cervo, in "
     "Val Ridanna. Il Soccorso alpino conta ora 31 morti. Le squadre di soccorso hanno lavorato "
     "tutta la notte con le unità cinofile. I danni alle piste sono stimati in 3 milioni di euro. "
     "Il sindaco di Ridanna, Marta Gruber, ha proclamato il lutto cittadino."),
    ("a3", "Cronaca Alpina", "2026-03-04", "Valanga sul Monte Cervo, il bilancio definitivo è di 40 morti",
     "Si sono concluse le ricerche sul Monte Cervo, in Val Ridanna, dove sabato una valanga ha "
     "travolto un gruppo di escursionisti. Il bilancio definitivo del Soccorso alpino è di 40 "
     "morti. I danni alle piste sono stimati in 3 milioni di euro. L'ultima valanga così grave in "
     "valle risale al 1998. Il sindaco di Ridanna, Marta Gruber, ha ringraziato le squadre di "
     "soccorso e le unità cinofile."),
    ("a4", "Radio Valle", "2026-03-04", "Valanga sul Monte Cervo, 25 morti secondo il Soccorso alpino",
     "Sul Monte Cervo, in Val Ridanna, le squadre di soccorso hanno chiuso le ricerche dopo la "
     "valanga di sabato che ha travolto gli escursionisti. Il Soccorso alpino parla di 25 morti. "
     "Il sindaco di Ridanna, Marta Gruber, ha ringraziato le unità cinofile. La procura indaga "
     "sulla valanga."),
]  # fmt: skip


def avalanche(*ids: str) -> list[Record]:
    return Clean()([
        Record(id=i, title=title, text=text, source=f"{i}.txt", outlet=outlet, published=date)
        for i, outlet, date, title, text in AVALANCHE if i in ids
    ])  # fmt: skip


def test_a_count_that_rises_day_by_day_is_a_timeline_not_a_conflict():
    [story] = build_stories(avalanche("a1", "a2", "a3"), 70)
    [deaths] = [f for f in story.figures if any(v["text"] == "31" for v in f["values"])]
    assert deaths["label"] == "morti" and not deaths["conflict"]
    assert [(v["date"], v["text"]) for v in deaths["values"]] == [
        ("2026-03-02", "12"), ("2026-03-03", "31"), ("2026-03-04", "40")
    ]  # fmt: skip
    assert [(e["date"], e["outlet"], e["updates"]) for e in story.timeline] == [
        ("2026-03-02", "Cronaca Alpina", []),
        ("2026-03-03", "Giornale del Nord", [{"label": "morti", "before": "12", "after": "31"}]),
        ("2026-03-04", "Cronaca Alpina", [{"label": "morti", "before": "31", "after": "40"}]),
    ]
    assert story.timeline[1]["titles"] == ["Valanga sul Monte Cervo, i morti salgono a 31"]
    assert sum(bool(re.search(r"\d+ morti", s["text"])) for s in story.sentences) <= 1  # one death toll


def test_sources_that_disagree_on_the_same_day_are_a_conflict_of_that_day():
    [story] = build_stories(avalanche("a1", "a2", "a3", "a4"), 70)
    [deaths] = [f for f in story.figures if any(v["text"] == "31" for v in f["values"])]
    assert deaths["conflict"]
    assert {v["date"] for v in deaths["values"] if not v["consensus"]} == {"2026-03-04"}
    assert {v["text"] for v in deaths["values"] if v["date"] == "2026-03-04"} == {"40", "25"}


def test_the_figures_are_amounts_and_counts_labelled_in_words_not_years_or_small_numbers():
    [story] = build_stories(avalanche("a1", "a2", "a3"), 70)
    assert {f["label"] for f in story.figures} == {"morti", "danni"}
    texts = {v["text"] for f in story.figures for v in f["values"]}
    assert "1998" not in texts and "due" not in texts  # a year, a bare small number


HOSTILE = [
    Record(id='x"1', title='<script>alert("t")</script> & "virgolette"', outlet="<b>Testata</b> & Co",
           published="2026-03-02", source="x.txt",
           text="Una frana ha colpito il paese di Borgo & Sasso: 120 persone evacuate. "
                "<img src=x onerror=alert(1)>"),
    Record(id="y'2", title="Frana a Borgo & Sasso, 120 evacuati", outlet="Eco 'della' Valle",
           published="2026-03-03", source="y.txt",
           text="La frana di Borgo & Sasso ha costretto 120 persone a lasciare le case. "
                "I tecnici sono al lavoro."),
]  # fmt: skip


def test_the_report_escapes_every_text_and_fetches_nothing():
    from itnews.digest.report import render

    records = Clean()([Record(**vars(r)) for r in HOSTILE])
    page = render(build_stories(records, 70), records)
    assert (
        "<script" not in page and "<img" not in page and "<b>" not in page and "onerror=alert(1)>" not in page
    )
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &quot;virgolette&quot;" in page
    assert "Eco &#x27;della&#x27; Valle" in page and "&lt;b&gt;Testata&lt;/b&gt; &amp; Co" in page
    assert "Borgo &amp; Sasso" in page
    assert "http" not in page and "<link" not in page and "src=" not in page.replace("src=x", "")


def test_the_report_puts_the_stories_most_outlets_carry_first():
    from itnews.digest.report import render

    records = articles("d08") + avalanche("a1", "a2", "a3", "a4")  # the single report first in the input
    stories = build_stories(records, 70)
    [told] = [story for story in stories if len(story.articles) == 4]
    [once] = [story for story in stories if len(story.articles) == 1]
    page = render(stories, records)
    assert (
        page.index(f"id='{told.story_id}'")
        < page.index("Reported once")
        < page.index(f"id='{once.story_id}'")
    )
    assert "3 outlets · 4 articles · 2026-03-02 to 2026-03-04" in page
    assert "CONFLICT on 2026-03-04" in page and "morti: 12 → 31" in page  # the conflict's day, the timeline


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_cli_json_report_and_bad_records(cli, tmp_path):
    rows = [
        {"id": i, "text": (STORIES / label["path"]).read_text(encoding="utf-8"), "testata": label["outlet"],
         "data": label["date"]}
        for i, label in LABELS.items() if i.startswith(("s01", "s06"))
    ]  # fmt: skip
    corpus = tmp_path / "news.jsonl"
    write_jsonl(corpus, rows)
    with corpus.open("a", encoding="utf-8") as file:
        file.write('{"id": "broken", "text": \n')
    report = tmp_path / "digest.html"
    completed = cli("digest", str(corpus), "--source-field", "testata", "--date-field", "data", "--json",
                    "--report", str(report))  # fmt: skip
    assert completed.returncode == 1  # the broken line
    [error] = [line for line in completed.stderr.splitlines() if not line.startswith("warning: ")]
    assert error.startswith(f"error: {corpus}:{len(rows) + 1}: malformed JSON line")
    stories = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(stories) == 2
    for story in stories:
        fields = {
            "story_id",
            "title",
            "articles",
            "sources",
            "summary_it",
            "summary_en",
            "sentences",
            "figures",
            "headline",
            "timeline",
        }
        assert set(story) == fields | {"warnings"}
        assert all(sentence["article"] in story["articles"] for sentence in story["sentences"])
    page = report.read_text(encoding="utf-8")
    assert (
        "CONFLICT" in page and "Notizie Oggi" in page and "other sources say 138 miliardi di dollari" in page
    )
    assert "http" not in page and "<script" not in page and "<link" not in page  # self-contained


def test_cli_one_article_is_a_story_and_no_article_is_one_line(cli, tmp_path):
    one = cli("digest", str(CORPUS / "articles" / "politica-01.txt"), "--json")
    assert one.returncode == 0, one.stderr
    [story] = [json.loads(line) for line in one.stdout.splitlines()]
    assert story["articles"] == ["politica-01"] and story["sources"] == ["politica-01.txt"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    none = cli("digest", str(empty))
    assert none.returncode == 1 and none.stderr == f"error: {empty}: no article to digest\n"


def test_cli_a_model_summarises_each_story_and_a_translator_writes_english(cli, tiny_models, tmp_path):
    rows = [
        {"id": i, "text": (STORIES / label["path"]).read_text(encoding="utf-8"), "outlet": label["outlet"]}
        for i, label in LABELS.items()
        if i.startswith("s01")
    ]
    corpus = write_jsonl(tmp_path / "news.jsonl", rows)
    models = ("--model", str(tiny_models / "t5"), "--translator", str(tiny_models / "marian"))
    completed = cli("digest", corpus, "--source-field", "outlet", "--json", *models)
    assert completed.returncode == 0, completed.stderr
    [story] = [json.loads(line) for line in completed.stdout.splitlines()]
    extractive = " ".join(sentence["text"] for sentence in story["sentences"])
    assert story["summary_it"] and story["summary_it"] != extractive  # the model's, from those sentences
    assert story["summary_en"]
