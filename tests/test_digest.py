"""`itnews digest`: stories from many outlets, summaries drawn from all of them with their sources,
and the figures they disagree on; checked on the project's story corpus (corpus/stories/)."""

import json

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


def test_the_summary_names_its_sources_and_never_states_a_disputed_figure_as_settled(deal):
    main = next(story for story in deal if "s01-corriere" in story.articles)
    texts = {record.id: record.text for record in articles("s01")}
    assert main.summary_it == " ".join(sentence["text"] for sentence in main.sentences)
    for sentence in main.sentences:
        plain = (
            sentence["text"]
            .replace(" (una fonte: 138 miliardi di dollari)", "")
            .replace("è di 38 miliardi", "è di 138 miliardi")
        )
        assert plain in texts[sentence["article"]]  # every sentence is its article's own
    assert "38 miliardi di dollari (una fonte: 138 miliardi di dollari)" in main.summary_it
    assert "138 miliardi di dollari," not in main.summary_it.replace(
        "(una fonte: 138 miliardi di dollari)", ""
    )
    assert 40 <= len(main.summary_it.split()) <= 110


def test_an_agency_text_republished_is_in_the_story_of_its_twin():
    [first] = articles("s07-corriere")
    copy = Record(id="copy", text=first.text, source="agency.txt", outlet="Agenzia", title=first.title)
    stories = build_stories([*articles("s07", "s12"), *Clean()([copy])], 70)
    [home] = [story for story in stories if "copy" in story.articles]
    assert "s07-corriere" in home.articles and "s12-corriere" not in home.articles


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
    [error] = completed.stderr.splitlines()
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
        }
        assert set(story) == fields | {"warnings"}
        assert all(sentence["article"] in story["articles"] for sentence in story["sentences"])
    page = report.read_text(encoding="utf-8")
    assert "CONFLICT" in page and "Notizie Oggi" in page
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
