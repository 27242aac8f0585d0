"""ROUGE evaluation: the Unicode tokenizer on Italian, agreement with rouge-score, bootstraps, the CLI."""

import json
import unicodedata

import numpy as np
import pytest

from itnews.core.record import InputError
from itnews.evaluate.bootstrap import BETTER, NO_DIFFERENCE, WORSE, bootstrap_ci, paired_bootstrap
from itnews.evaluate.rouge import ROUGE_TYPES, UnicodeTokenizer, score_pair
from itnews.evaluate.scores import load_summaries
from itnews.evaluate.systems import UnknownSystemError, system_options

from .conftest import CORPUS, EVAL_CORPUS


def f1(reference: str, prediction: str, mode: str = "unicode", rouge_type: str = "rouge1") -> float:
    return score_pair(reference, prediction, mode=mode)[rouge_type].fmeasure


# --- the tokenizer on Italian ---------------------------------------------------------------


def test_accented_words_are_not_their_unaccented_neighbours():
    # rouge-score's tokenizer drops "ò": "però" (however) becomes "per" (for) and matches it.
    reference, prediction = "Però il sindaco non risponde.", "Per il sindaco non risponde."
    assert f1(reference, prediction, mode="compat") == 1.0
    assert f1(reference, prediction) == pytest.approx(4 / 5)  # però/per is the one unigram that differs
    assert f1(reference, prediction, rouge_type="rouge2") == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    "word,other",
    [
        ("dà", "d'"),  # gives / elided "di"
        ("dà", "da"),  # gives / from
        ("papà", "papa"),  # dad / pope
        ("città", "citta"),  # the unaccented form is a misspelling, not the same word
        ("sì", "si"),  # yes / reflexive pronoun
        ("è", "e"),  # is / and
    ],
)
def test_accents_distinguish_words(word, other):
    assert f1(word, other) == 0.0
    assert f1(word, word) == 1.0


def test_ascii_tokenizer_conflates_da_with_elided_d():
    assert f1("dà", "d'", mode="compat") == 1.0  # why the unicode mode exists


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_elisions_split_off_the_article(apostrophe):
    scores = score_pair("azienda", f"dell{apostrophe}azienda")["rouge1"]
    assert scores.recall == 1.0 and scores.precision == 0.5
    assert UnicodeTokenizer("it").tokenize(f"L{apostrophe}azienda dell{apostrophe}anno") == [
        "l",
        *UnicodeTokenizer("it").tokenize("azienda"),
        "dell",
        *UnicodeTokenizer("it").tokenize("anno"),
    ]


def test_italian_stemming_matches_inflections():
    assert f1("I governi europei", "il governo europeo") == pytest.approx(2 / 3)  # il/i differ
    assert f1("governi", "governo") == 1.0
    assert f1("governi", "governo", mode="compat") == 0.0  # Porter knows no Italian


def test_case_and_nfd_input_do_not_matter():
    reference = "Però la città è più vicina: il Comune dà già i fondi all’università."
    decomposed = unicodedata.normalize("NFD", reference)
    assert decomposed != reference
    for rouge_type, scores in score_pair(reference, decomposed).items():
        assert scores.fmeasure == 1.0, rouge_type
    assert f1(reference, decomposed, mode="compat") < 1.0  # the ASCII tokenizer loses the split letters
    assert f1("PERÒ CITTÀ", "però città") == 1.0


def test_letters_and_digits_only():
    assert UnicodeTokenizer("it").tokenize("Il 2,5% — «sì», ok_2") == ["il", "2", "5", "sì", "ok", "2"]


# --- agreement with rouge-score in compat mode ----------------------------------------------

ENGLISH_PAIRS = [
    (
        "The government approved the pension reform.\nUnions called a general strike for Friday.",
        "Unions are calling strikes.\nThe governments approved a reform of pensions after three days.",
    ),
    ("Milan's exhibition drew 100,000 visitors in its first month.", "An exhibition in Milan drew visitors."),
    ("Rates were cut by the central bank.", "Nothing at all in common here"),
]


@pytest.mark.parametrize("reference,prediction", ENGLISH_PAIRS)
def test_compat_mode_agrees_with_rouge_score(reference, prediction):
    from rouge_score import rouge_scorer

    expected = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True).score(reference, prediction)
    ours = score_pair(reference, prediction, language="en", mode="compat")
    for rouge_type in ROUGE_TYPES:
        assert (
            ours[rouge_type].precision,
            ours[rouge_type].recall,
            ours[rouge_type].fmeasure,
        ) == pytest.approx(tuple(expected[rouge_type]), abs=1e-12), rouge_type


def test_rouge_lsum_puts_each_sentence_on_its_own_line():
    from rouge_score import rouge_scorer

    reference = "Il dott. Rossi ha parlato. Il sindaco ha risposto subito."
    prediction = "Il sindaco ha risposto. Il dott. Rossi ha parlato a lungo."
    lines = [
        "Il dott. Rossi ha parlato.\nIl sindaco ha risposto subito.",
        prediction.replace(". Il", ".\nIl", 1),
    ]
    expected = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True).score(*lines)["rougeLsum"]
    assert score_pair(reference, prediction, mode="compat")["rougeLsum"].fmeasure == pytest.approx(
        expected.fmeasure, abs=1e-12
    )
    # summary-level LCS rewards the reordered sentences that plain ROUGE-L cannot
    assert f1(reference, prediction, rouge_type="rougeLsum") > f1(reference, prediction, rouge_type="rougeL")


# --- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_ci_contains_the_mean_and_is_reproducible():
    values = np.random.default_rng(7).uniform(0.1, 0.6, size=33)
    low, high = bootstrap_ci(values)
    assert low < values.mean() < high
    assert bootstrap_ci(values) == (low, high)
    assert bootstrap_ci(values, seed=1) != (low, high)  # the seed is what makes it reproducible


def test_bootstrap_ci_narrows_as_n_grows():
    rng = np.random.default_rng(3)
    widths = []
    for n in (20, 200, 2000):
        low, high = bootstrap_ci(rng.uniform(0, 1, size=n))
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2]
    assert widths[0] / widths[2] == pytest.approx(10, rel=0.35)  # ~1/sqrt(n)


def test_bootstrap_ci_matches_rouge_score_aggregator():
    from rouge_score import scoring

    values = np.random.default_rng(11).uniform(0.2, 0.7, size=40)
    aggregator = scoring.BootstrapAggregator()
    for value in values:
        aggregator.add_scores({"rouge1": scoring.Score(value, value, value)})
    state = np.random.get_state()
    np.random.seed(0)
    theirs = aggregator.aggregate()["rouge1"]
    np.random.set_state(state)
    low, high = bootstrap_ci(values)
    assert low == pytest.approx(theirs.low.fmeasure, abs=0.01)
    assert high == pytest.approx(theirs.high.fmeasure, abs=0.01)


def test_paired_bootstrap_identical_systems():
    scores = np.random.default_rng(5).uniform(0, 1, size=30)
    comparison = paired_bootstrap(scores, scores.copy())
    assert comparison.verdict == NO_DIFFERENCE
    assert comparison.difference == 0.0 and comparison.p_not_better == 1.0


def test_paired_bootstrap_clear_winner_and_loser():
    rng = np.random.default_rng(9)
    baseline = rng.uniform(0.2, 0.5, size=30)
    better = baseline + 0.08 + rng.normal(0, 0.02, size=30)
    comparison = paired_bootstrap(better, baseline)
    assert comparison.verdict == BETTER
    assert comparison.ci_low > 0 and comparison.p_not_better < 0.025
    assert comparison.ci_low < comparison.difference < comparison.ci_high
    assert paired_bootstrap(baseline, better).verdict == WORSE
    assert paired_bootstrap(better, baseline) == comparison  # fixed seed


def test_paired_bootstrap_uses_the_pairing():
    # Articles differ far more than the systems do; B wins by 0.02 on every article. Separate
    # intervals overlap, but resampling articles for both systems at once sees the consistent gain.
    a = np.random.default_rng(2).uniform(0.1, 0.9, size=25)
    b = a + 0.02
    low_a, high_a = bootstrap_ci(a)
    low_b, high_b = bootstrap_ci(b)
    assert low_b < high_a  # unpaired: the intervals overlap
    assert paired_bootstrap(b, a).verdict == BETTER


# --- inputs and systems ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,reason",
    [
        ('{"id": "a", "summary_it": "x"', "malformed JSON line"),
        ('["a", "x"]', "not a JSON object but list"),
        ('{"summary_it": "x"}', "missing 'id'"),
        ('{"id": "", "summary_it": "x"}', "'id' must be a non-empty string"),
        ('{"id": "b", "summary_it": 3}', "'summary_it' must be a string or null"),
        ('{"id": "a", "summary_it": "again"}', "duplicate id 'a'"),
    ],
)
def test_malformed_jsonl_names_file_and_line(tmp_path, line, reason):
    path = tmp_path / "refs.jsonl"
    path.write_text('{"id": "a", "summary_it": "Il testo."}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_summaries(str(path))
    assert caught.value.item == f"{path}:3"
    assert caught.value.reason.startswith(reason)


def test_missing_or_null_summaries_are_absent(tmp_path):
    path = tmp_path / "preds.jsonl"
    path.write_text(
        '{"id": "a", "summary_it": "Uno.", "summary_en": null}\n{"id": "b", "summary_en": "Two."}\n',
        encoding="utf-8",
    )
    summaries = load_summaries(str(path))
    assert summaries.ids == ["a", "b"]
    assert summaries.texts == {"it": {"a": "Uno."}, "en": {"b": "Two."}}


def test_system_options():
    assert system_options("lead3").method == "lead3"
    assert system_options("extractive", words=12).languages == ("it",)
    assert system_options("extractive", words=12).words == 12
    with pytest.raises(UnknownSystemError, match="unknown system 'textrank'"):
        system_options("textrank")


# --- the command line -----------------------------------------------------------------------

REFERENCES = [
    {
        "id": "a",
        "summary_it": "Il Senato ha approvato la legge di bilancio. L'opposizione protesta.",
        "summary_en": "The Senate passed the budget law.",
    },
    {"id": "b", "summary_it": "La città avrà tre nuove linee del tram entro il 2030.", "summary_en": None},
    {"id": "c", "summary_it": "Il governo taglia le tasse sul lavoro."},
    {"id": "d", "summary_it": "Però la squadra ha perso in casa."},
]
PREDICTIONS = [
    {"id": "a", "summary_it": REFERENCES[0]["summary_it"], "summary_en": "The Senate approved the budget."},
    {"id": "b", "summary_it": "Tre nuove linee del tram per la città."},
    {"id": "c", "summary_it": "I governi tagliano le tasse."},
    {"id": "z", "summary_it": "Un articolo senza riferimento."},
]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_eval_predictions_json(cli, tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", REFERENCES)
    preds = write_jsonl(tmp_path / "preds.jsonl", PREDICTIONS)
    completed = cli("eval", "--predictions", preds, "--references", refs, "--json")
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert set(record) == {"n", "it", "en", "mode", "missing"}
    assert record["mode"] == "unicode"
    assert record["n"] == {"it": 3, "en": 1}
    for lang in ("it", "en"):
        assert set(record[lang]) == set(ROUGE_TYPES)
        for scores in record[lang].values():
            assert set(scores) == {"precision", "recall", "fmeasure", "ci_low", "ci_high"}
            assert all(0 <= value <= 1 for value in scores.values())
            assert scores["ci_low"] <= scores["fmeasure"] <= scores["ci_high"]
    assert record["missing"]["it"] == {"predictions_only": ["z"], "references_only": ["d"]}
    assert record["missing"]["en"] == {"predictions_only": [], "references_only": []}
    warnings = completed.stderr.splitlines()
    assert f"warning: {preds}: it: 1 id only in predictions (no reference), not scored: z" in warnings
    assert f"warning: {preds}: it: 1 id only in references (no prediction), not scored: d" in warnings
    expected_it = np.mean([f1(REFERENCES[i]["summary_it"], PREDICTIONS[i]["summary_it"]) for i in range(3)])
    assert record["it"]["rouge1"]["fmeasure"] == pytest.approx(expected_it)

    compat = json.loads(
        cli("eval", "--predictions", preds, "--references", refs, "--json", "--compat").stdout
    )
    assert compat["mode"] == "compat"
    assert compat["it"]["rouge1"]["fmeasure"] < record["it"]["rouge1"]["fmeasure"]  # no Italian stems


def test_eval_language_without_scorable_ids_is_null(cli, tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", [{"id": "a", "summary_it": "Uno due tre."}])
    preds = write_jsonl(
        tmp_path / "preds.jsonl", [{"id": "a", "summary_it": "Uno due.", "summary_en": "One."}]
    )
    completed = cli("eval", "--predictions", preds, "--references", refs, "--json")
    record = json.loads(completed.stdout)
    assert record["en"] is None and record["n"]["en"] == 0
    assert record["missing"]["en"] == {"predictions_only": ["a"], "references_only": []}
    readable = cli("eval", "--predictions", preds, "--references", refs)
    assert readable.returncode == 0 and "rougeLsum" in readable.stdout and "not scored" in readable.stdout


def test_eval_malformed_line_is_one_line_error(cli, tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", REFERENCES)
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "a", "summary_it": "Uno."}\n{"id": "b", "summary_it": \n', encoding="utf-8")
    completed = cli("eval", "--predictions", str(preds), "--references", refs, "--json")
    assert completed.returncode == 1
    assert completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith(f"error: {preds}:2: malformed JSON line")
    missing = cli("eval", "--predictions", str(tmp_path / "nope.jsonl"), "--references", refs)
    assert missing.returncode == 1 and missing.stderr == f"error: {tmp_path / 'nope.jsonl'}: no such file\n"


def test_eval_usage_errors_exit_2(cli, tmp_path):
    refs = write_jsonl(tmp_path / "refs.jsonl", REFERENCES)
    unknown = cli("eval", "--system", "lead3,textrank", "--references", refs)
    assert unknown.returncode == 2 and "unknown system 'textrank'" in unknown.stderr
    assert cli("eval", "--references", refs).returncode == 2  # neither --predictions nor --system
    assert cli("eval", "--predictions", refs, "--system", "lead3", "--references", refs).returncode == 2
    assert "Traceback" not in unknown.stderr


ARTICLES = {
    "uno": "Il consiglio comunale di Bologna ha approvato ieri sera il nuovo piano per la mobilità urbana. "
    "Il piano prevede tre nuove linee del tram entro il 2030 e cento chilometri di piste ciclabili. "
    "L'opposizione ha votato contro, giudicando i costi troppo alti per le casse del Comune. "
    "Secondo l'assessore ai trasporti le nuove linee ridurranno il traffico privato del venti per cento. "
    "I lavori per la prima linea del tram cominceranno nella primavera del prossimo anno.",
    "due": "La squadra di pallavolo femminile ha vinto il campionato europeo battendo la Turchia in finale. "
    "La partita si è decisa al quinto set dopo più di due ore di gioco davanti a diecimila spettatori. "
    "La capitana ha dedicato la vittoria alle giovani atlete che hanno cominciato a giocare quest'anno. "
    "Il presidente della federazione ha annunciato un premio per tutte le giocatrici della nazionale. "
    "Il prossimo impegno della squadra sarà il torneo di qualificazione olimpica in estate.",
}


def test_eval_systems_on_a_small_corpus(cli, tmp_path):
    (tmp_path / "articles").mkdir()
    index = []
    for name, text in ARTICLES.items():
        (tmp_path / "articles" / f"{name}.txt").write_text(text, encoding="utf-8")
        index.append({"id": f"art-{name}", "title": None, "path": f"articles/{name}.txt", "topic": "test"})
    index.append({"id": "art-tre", "title": None, "path": "articles/tre.txt", "topic": "test"})  # no file
    write_jsonl(tmp_path / "index.jsonl", index)
    refs = write_jsonl(
        tmp_path / "refs.jsonl",
        [
            {"id": "art-uno", "summary_it": "Bologna approva il piano per la mobilità: tre linee del tram."},
            {"id": "art-due", "summary_it": "La nazionale di pallavolo femminile vince l'europeo."},
            {"id": "art-tre", "summary_it": "Un articolo che manca."},
        ],
    )
    report = tmp_path / "out" / "report.md"
    args = (
        "eval",
        "--system",
        "extractive,lead1",
        "--references",
        refs,
        "--corpus",
        str(tmp_path / "index.jsonl"),
    )
    completed = cli(*args, "--report", str(report), "--json")
    assert completed.returncode == 1  # one indexed article is missing
    assert f"error: {tmp_path / 'articles' / 'tre.txt'}: no such file" in completed.stderr.splitlines()
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [r["system"] for r in records] == ["lead3", "extractive", "lead1"]  # the baseline always runs
    for record in records:
        assert record["n"] == {"it": 2, "en": 0} and record["en"] is None
        assert record["missing"]["it"]["references_only"] == ["art-tre"]
    assert records[0]["vs_lead3"] is None
    lead1 = records[2]["vs_lead3"]
    assert lead1["en"] is None
    assert set(lead1["it"]) == {"rouge1", "rouge2", "rougeL"}
    for comparison in lead1["it"].values():
        assert comparison["n"] == 2
        assert comparison["verdict"] in (BETTER, WORSE, NO_DIFFERENCE)
        assert comparison["ci_low"] <= comparison["difference"] <= comparison["ci_high"]
    text = report.read_text(encoding="utf-8")
    assert "itnews eval --system extractive,lead1" in text and "- Mode: `unicode`" in text
    assert "| `lead1` | 2 |" in text and "| `extractive` | 2 |" in text


@pytest.mark.skipif(
    not (CORPUS / "references.jsonl").exists(), reason="corpus/references.jsonl not merged yet"
)
def test_extractive_is_not_below_lead3_on_the_corpus(cli, tmp_path):
    completed = cli(*EVAL_CORPUS, "--report", str(tmp_path / "report.md"), "--json")
    assert completed.returncode == 0, completed.stderr
    lead3, extractive = (json.loads(line) for line in completed.stdout.splitlines())
    assert (lead3["system"], extractive["system"]) == ("lead3", "extractive")
    references = load_summaries(str(CORPUS / "references.jsonl"))
    assert extractive["n"]["it"] == lead3["n"]["it"] == len(references.texts["it"])
    assert extractive["it"]["rouge1"]["fmeasure"] >= lead3["it"]["rouge1"]["fmeasure"], (
        f"extractive R-1 F {extractive['it']['rouge1']} < lead3 {lead3['it']['rouge1']}"
    )
