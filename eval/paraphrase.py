"""The faithfulness guard on real paraphrase (eval/PARAPHRASE.md): false alarms on faithful
restatements of real news, and the flags on wrong ones.

    python eval/paraphrase.py [--json FLAGS.json] [--before BEFORE.json] [--out eval/PARAPHRASE.md]

The pairs, eval/data/paraphrase_pairs.jsonl, were written by hand: each names a passage of a real
ANSA or Il Post article in ../shared/data/news-2024 (CSV file, row number, character span of the
Content column; the text is read from there at run time, never stored here, and checked against the
SHA-1 prefix of the passage) and a restatement of it in Italian or English, in other words and with
other forms of its names and figures (demonyms, acronyms and expansions, numbers in words, dates in
other forms). ``faithful`` pairs state only what the passage says; the others change one name or
figure (``changed``). The rules and word lists of the guard were tuned on the pairs without
``held_out``; each ``held_out`` set was written after a round of changes and before its first run,
and a few rules and words were then added on each; the figure of each set at its first run, in
METHOD_NOTES, measures the guard on paraphrase it was not fitted to. Each restatement is checked
against its passage, as a summary against its article (`check_summary`, the article in Italian).
The corpus references (the perturbation set of eval/faithfulness.py, unperturbed) are checked
against their articles too.

A pair is a false alarm when the guard flags any fact of a faithful restatement; NOTES gives the
reason of each, found by reading the pair. ``--json`` writes the flags of each pair, ``--before``
reads such a file from another version of the package and reports both side by side:

    mkdir -p /tmp/old && git archive c32728b pipeline | tar -x -C /tmp/old
    mv /tmp/old/pipeline /tmp/old/itnews
    PYTHONPATH=/tmp/old python eval/paraphrase.py --json /tmp/before.json --out /tmp/before.md
    python eval/paraphrase.py --before /tmp/before.json
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

from itnews.facts.support import check_summary

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "eval" / "data" / "paraphrase_pairs.jsonl"
NEWS = REPO.parent / "shared" / "data" / "news-2024"
CORPUS = REPO / "corpus"
# The reason of each flag on a faithful pair, found by reading it: (pair id, flagged text) -> reason.
TRANSLATED = "a name translated word by word, which no table holds"
PLACE_ADJECTIVE = "a place named by its adjective or a derived word the rules do not read"
IMPLIED = "a count or proportion the passage implies but does not write"
OTHER_FORM = "an age or duration the passage writes another way"
COMMON_WORD = "a common word taken for part of a name"
EXPANSION = "an acronym's expansion, or a name's short form, that no table holds"
MY_ERROR = "the restatement names what the passage does not (found after the run, left as it is)"
METONYMY = "a city for the body seated there"
NOTES: dict[tuple[str, str], str] = {
    ("p004", "due"): IMPLIED,  # "le due Ferrari di Leclerc e Sainz"
    ("p146", "nove"): IMPLIED,  # "nove casi su dieci" for "oltre il 90%"
    ("p146", "dieci"): IMPLIED,
    ("p023", "Ferrari"): PLACE_ADJECTIVE,  # "ferrarista"
    ("p314", "Piacenza"): PLACE_ADJECTIVE,  # "piacentine"
    ("p096", "ten-year"): OTHER_FORM,  # "contratto decennale"
    ("p233", "twenty-four years"): OTHER_FORM,  # "30 anni di vita e 24 di carriera": the unit elided
    ("p334", "68"): OTHER_FORM,  # "nel '68" for "nel 1968"
    ("p056", "Industrialists"): COMMON_WORD,  # a rare plural at a sentence start
    ("p155", "Guardasigilli Carlo Nordio"): COMMON_WORD,  # a title glued to the name
    ("p124", "Autorità"): COMMON_WORD,  # "l'Autorità" for "l'organismo"
    ("p216", "Settimana"): COMMON_WORD,  # "la Settimana" for "l'evento"
    ("p261", "Partito"): EXPANSION,  # "Partito liberaldemocratico" for "PLD"
    ("p310", "Conferenza"): EXPANSION,  # "Conferenza episcopale" for "Cei"
    ("p314", "Repubblica"): EXPANSION,  # "presidente della Repubblica" for "capo dello Stato"
    ("p205", "Pecco Bagnaia"): EXPANSION,  # a nickname
    ("p169", "Main Intelligence Directorate"): TRANSLATED,
    ("p260", "Liberal Democratic Party"): TRANSLATED,
    ("p291", "Prime of Miss Jean Brodie"): TRANSLATED,  # the film's English title
    ("p324", "Eurosceptic"): TRANSLATED,
    ("p334", "University of Western Australia"): TRANSLATED,
    ("p342", "Institute of Molecular Biotechnology of the Austrian Academy of Sciences"): TRANSLATED,
    ("p363", "Moon"): TRANSLATED,  # Luna, Toro, Marte, Giove
    ("p363", "Taurus"): TRANSLATED,
    ("p363", "Mars"): TRANSLATED,
    ("p363", "Jupiter"): TRANSLATED,
    ("p376", "Green"): TRANSLATED,  # "candidata dei Verdi"
    ("p390", "Greens"): TRANSLATED,
    ("p190", "Eve"): TRANSLATED,  # "New Year's Eve" for "Capodanno": one word of it checked as a name
    ("p358", "Spd"): MY_ERROR,  # the passage says "il suo partito"
    ("p398", "Israeli Air Force"): EXPANSION,  # "l'Iaf"
    ("p419", "due"): IMPLIED,  # "i due documenti" for "entrambi i documenti"
    ("p419", "Bruxelles"): METONYMY,  # for "la Commissione Europea"
    ("p430", "ENT"): EXPANSION,  # for "Otorinolaringoiatria"
    ("p433", "Guardia"): EXPANSION,  # "Guardia di finanza" for "Gdf"
    ("p437", "Comune"): COMMON_WORD,  # "il Comune" for "ci siamo associati"
    ("p502", "Mimit"): EXPANSION,  # for "il ministro delle Imprese e del Made in Italy"
    ("p512", "LIS"): EXPANSION,  # for "nella lingua italiana dei segni", lower case
    ("p524", "Ferrovie dello Stato"): EXPANSION,  # for "Fs"
    ("p547", "Liberal Democratic Party"): TRANSLATED,  # the passage of p260
    ("p547", "LDP"): TRANSLATED,  # the English acronym of "PLD"
    ("p552", "Forze"): TRANSLATED,  # "Forze di supporto rapido" for "Rapid Support Forces (RSF)"
    ("p553", "Prime of Miss Jean Brodie"): TRANSLATED,  # as p291
}
# Which set each word list and rule was chosen on; the pairs' corrections; detection before and after.
METHOD_NOTES = [
    "## What was chosen on what",
    "",
    "- Chosen before any pair was written, from the corpus and the names of Italian national news:",
    '  the data file `pipeline/facts/aliases.toml` without its "(after)" entries (Italian and English',
    "  places, countries with every gender and number of their demonyms, the bodies and parties Italian",
    '  news names most with their acronyms and expansions); the case rule of its forms ("UN" only in',
    '  capitals, "Usa" only capitalised); English plurals of acronyms; the check of a one-word English',
    "  name written alike in Italian (Zipf within 0.9 in both languages, set on a list of brands and",
    "  descriptors: Apple 4.8/4.5, Shell 4.4/3.6, Parliament 4.7/0, Government 5.6/3.4, Pope 4.4/3.4).",
    '- Chosen on the 306 development pairs, after their first run: the "(after)" entries of',
    "  aliases.toml (foreign exonyms, Cdm, Mef, Iss, Inaf, Uci, Eso, G7, Formula 1, German parties,",
    '  capitals as their countries, "Paese"), and the figure forms of itnews.facts.figures (ages,',
    "  round counts, half units and centuries, Italian ordinals, times of day, day/month dates, the",
    "  first of the month, ranges, CHF), the -ese adjective of a place, a common word opening a",
    '  sentence before a full name, two connectors in a name ("Summit of the Future").',
    '- Chosen on held-out set 1, after its run: the initials rule ("Coni", "Cip"), and "UN" kept',
    '  though "un" is an English stop word of the stop-words package; a decade ("anni Sessanta")',
    "  kept a figure.",
    '- Chosen on held-out set 2, after its run: a duration of one unit in the article ("una',
    '  settimana"), a birthday\'s ordinal as an age ("66esimo compleanno"), and a capitalised number',
    '  word inside a name read as no figure ("Five Points South").',
    "- Narrowed on the perturbation set (eval/FAITHFULNESS.md): the -ese rule to the article's",
    '  language and the words named by their kind to "Paese", "Paesi" ("il Comune" for',
    '  "il Senato" must stay an error).',
    "- At their first runs, before the rules added on them, held-out set 1 had 9/48 (18.8%) pairs",
    "  with a flag, set 2 8/43 (18.6%), set 3 4/30 (13.3%).",
    "- Chosen on held-out set 3 (and the others), after its run: Italian regions and the main cities",
    '  with their adjectives, "elvetico", "monegasco", "curdo" in aliases.toml. Held-out set 4 was',
    "  written after all of this and run once (3/27, 11.1%).",
    "- Chosen on the development pairs and held-out sets 1-4, after set 4's run: the stem rule across",
    '  languages on words respelled alike ("Eurosceptic"/"euroscettiche", "Rabbi"/"rabbino"), no',
    "  longer applied to the names of aliases.toml (a country is found by its forms alone: \"Frank\"",
    '  had made "France" pass), and a name the summary spells out where the article writes its',
    '  acronym ("Israeli Air Force": "Iaf", "Guardia di finanza": "Gdf").',
    "- Held-out set 5 (60 pairs, p501-p560, written by a second writer who had not read the rules,",
    "  with other forms of names and figures on purpose) was then run once: 10/60 (16.7%) with a flag.",
    '  Chosen after that run, on it and on the development pairs: years of two digits after an',
    "  apostrophe (\"nel '68\"), spans of years in one word (\"decennale\"), and \"z\" respelled as",
    '  "s" ("Assizes"/"Assise").',
    "- The figure on text the rules were not fitted to is therefore each held-out set at its first",
    "  run: 18.8%, 18.6%, 13.3%, 11.1% and 16.7%. What remains (the reasons above) are names that",
    "  only knowledge of the world translates or expands (\"Mimit\", \"Forze di supporto rapido\" for",
    '  "RSF", a film\'s English title, the planets), which no spelling rule reaches.',
    "",
    "## Corrections of the pairs",
    "",
    "On re-reading before their first run, 8 restatements (7 development, 1 first held-out) stated",
    'something their passage does not and were fixed ("milioni" for "moltitudini" and a',
    'nationality, an agency\'s nationality, "circa" for "quasi", "sciita", a distance, an',
    "approximate year, a title, whose troops). After the first runs, 2 more were found unfaithful and",
    "fixed (a currency and a count the passage does not give), and 16 passage spans (15 development, 1",
    "first held-out) were widened to the sentence before or after, where the article names what the",
    'passage refers to by a pronoun or a title ("la premier" for Meloni); these were',
    "found through the guard's flags, so the development figure is optimistic. One such pair of",
    'held-out set 2 is left as it is (p358, listed below); in set 3 two such (a name for "il partito',
    'di Dio", an acronym for "l\'Istituto") were fixed before its run.',
    "",
    "## Detection of the perturbation set",
    "",
    "`python eval/faithfulness.py` (eval/FAITHFULNESS.md) on this version, and the same script with its",
    "alias import pointed at the old table on commit c32728b installed apart (the before column):",
    "every figure row is the same (amount value 28/29, scale 16/16, currency 29/29, percent 42/42,",
    "number 98/101, date day 6/6, month 25/25, year 38/38, duration value 27/28, unit 28/28); a name",
    "from another article 265/267 (99.3%) before, 270/272 (99.3%) after, the same two misses; a name",
    "of common English words 1/16 before, 5/12 after. The draws are per fact and by hash, so that the",
    "two versions are given the same changes wherever they read the same facts.",
    "",
]
COLD_RUNS = 5  # fresh interpreters timed for the guard's first check
# In a fresh interpreter: the import, then an Italian and an English summary checked against an
# article (what the guard does on the first article), then each table that check loaded, timed alone
# in a second fresh interpreter.
FIRST_CHECK = """
import json, time
start = time.perf_counter()
from itnews.facts.support import check_summary
imported = time.perf_counter()
article = "Il 3 marzo l'Onu e il governo francese hanno speso 5 milioni. Restauratori al lavoro."
check_summary("Il 3 marzo la Francia ha speso 5 milioni. Ricercatori al lavoro.", article, "it")
check_summary("On March 3 the UN and France spent 5 million. Researchers were at work.", article, "en", "it")
print(json.dumps({"import": imported - start, "first check": time.perf_counter() - imported}))
"""
TABLES = """
import json, time
from itnews.facts import aliases, figures, names
steps = {
    "wordfreq word lists (it, en)": lambda: (names.lexicon("it"), names.lexicon("en")),
    "stems of the common words (it, en)": lambda: (names.common_stems("it"), names.common_stems("en")),
    "stop words (it, en)": lambda: (names.stop_words("it"), names.stop_words("en")),
    "Italian number words, ages, ordinals": figures.italian_ages_and_ordinals,  # the number words first
    "aliases.toml": aliases.aliases,
}
times = {}
for name, load in steps.items():
    start = time.perf_counter()
    load()
    times[name] = time.perf_counter() - start
print(json.dumps(times))
"""


@functools.cache
def articles(name: str) -> dict[int, str]:
    with (NEWS / name).open(encoding="utf-8", newline="") as handle:
        return {int(row[""]): row["Content"] for row in csv.DictReader(handle)}


def load_pairs() -> list[dict]:
    pairs = []
    for pair in map(json.loads, PAIRS.open(encoding="utf-8")):
        passage = articles(pair["file"])[pair["row"]][pair["start"] : pair["end"]]
        if hashlib.sha1(passage.encode()).hexdigest()[:12] != pair["passage_sha1"]:
            sys.exit(f"{pair['id']}: the passage in {pair['file']} row {pair['row']} has changed")
        pairs.append({**pair, "passage": passage})
    return pairs


def load_references() -> list[dict]:
    """The corpus references, Italian and English, each with its article."""
    from itnews.ingest.clean import read_article

    references = {r["id"]: r for r in map(json.loads, (CORPUS / "references.jsonl").open(encoding="utf-8"))}
    summaries = []
    for entry in map(json.loads, (CORPUS / "index.jsonl").open(encoding="utf-8")):
        record = read_article(str(CORPUS / entry["path"]))
        article = f"{record.title}\n\n{record.text}" if record.title else record.text
        for lang in ("it", "en"):
            summaries.append({"id": f"{entry['id']} ({lang})", "lang": lang, "passage": article,
                              "restatement": references[entry["id"]][f"summary_{lang}"]})  # fmt: skip
    return summaries


def flags(items: list[dict]) -> dict[str, list[str]]:
    return {
        i["id"]: [f.text for f in check_summary(i["restatement"], i["passage"], i["lang"], "it").unsupported]
        for i in items
    }


def cold_seconds(code: str) -> dict[str, float]:
    """Median seconds of each step the code prints, over COLD_RUNS fresh interpreters."""
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(COLD_RUNS)
    ]
    return {step: statistics.median(run[step] for run in runs) for step in runs[0]}


def share(count: int, total: int) -> str:
    return f"{count}/{total} ({count / total:.1%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the flags of every pair and reference here")
    parser.add_argument("--before", help="flags of another version, from its --json")
    parser.add_argument("--out", default=str(REPO / "eval" / "PARAPHRASE.md"))
    args = parser.parse_args()
    command = "python eval/paraphrase.py" + "".join(f" {a}" for a in sys.argv[1:])

    pairs, references = load_pairs(), load_references()
    faithful = [p for p in pairs if p["faithful"]]
    held_out = [p for p in faithful if p.get("held_out")]
    development = [p for p in faithful if not p.get("held_out")]
    rounds = [[p for p in held_out if p["held_out"] == n] for n in (1, 2, 3, 4, 5)]
    wrong = [p for p in pairs if not p["faithful"]]
    found = flags(pairs) | flags(references)
    first = cold_seconds(FIRST_CHECK)
    if args.json:
        measured = {"flags": found, "first_check": first}
        Path(args.json).write_text(json.dumps(measured, ensure_ascii=False, indent=0), encoding="utf-8")
    earlier = json.loads(Path(args.before).read_text(encoding="utf-8")) if args.before else None
    before = earlier["flags"] if earlier else None
    try:
        tables = cold_seconds(TABLES)
    except subprocess.CalledProcessError:  # a version without these tables (the one compared)
        tables = {}

    def rates(result: dict[str, list[str]]) -> list[str]:
        def flagged(items: list[dict]) -> int:
            return sum(bool(result[i["id"]]) for i in items)

        sets = (development, *rounds, faithful, references, faithful + references, wrong)
        return [share(flagged(items), len(items)) for items in sets]

    languages = Counter(p["lang"] for p in faithful)
    lines = [
        "# The faithfulness guard on real paraphrase",
        "",
        f"Produced by `{command}`; the method is in the script's docstring.",
        f"{len(faithful)} faithful restatements ({languages['it']} Italian, {languages['en']} English;",
        f"{len(held_out)} of them held out) and",
        f"{len(wrong)} wrong ones of passages of {len({(p['file'], p['row']) for p in pairs})} real articles",
        "(../shared/data/news-2024), and the corpus references (the perturbation set of",
        "eval/faithfulness.py, unperturbed).",
        "",
        "| set | " + ("before | after |" if before else "flagged |"),
        "| --- | " + ("---: | ---: |" if before else "---: |"),
    ]
    names = ("faithful restatements the rules were tuned on, with a flag (false alarms)",
             "held-out set 1 (rules then added on it), with a flag",
             "held-out set 2 (rules then added on it), with a flag",
             "held-out set 3 (rules then added on it), with a flag",
             "held-out set 4 (rules then added on it), with a flag",
             "held-out set 5 (rules then added on it), with a flag",
             "all faithful restatements, with a flag (false alarms)", "corpus references with a flag",
             "faithful restatements and corpus references together",
             "wrong restatements with a flag (detected)")  # fmt: skip
    after = rates(found)
    old = rates(before) if before else None
    for i, name in enumerate(names):
        lines.append(f"| {name} | " + (f"{old[i]} | {after[i]} |" if old else f"{after[i]} |"))
    named_sets = {"development": development} | {f"held-out {n}": items for n, items in enumerate(rounds, 1)}
    spans = [f"{name} {items[0]['id']}-{items[-1]['id']}" for name, items in named_sets.items()]
    lines += ["", "## False alarms, by reason", "", f"Pairs: {', '.join(spans)}.", ""]
    reasons: dict[str, list[str]] = {}
    for pair in faithful:
        for text in found[pair["id"]]:
            reason = NOTES.get((pair["id"], text), "no note")
            reasons.setdefault(reason, []).append(f"{pair['id']} ({pair['lang']}): {text!r}")
    for reason, entries in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
        lines += [f"- {reason} ({len(entries)}): " + "; ".join(entries)]
    lines += ["" if reasons else "- none", "", "Flags on the corpus references:", ""]
    lines += [f"- {r['id']}: {found[r['id']]}" for r in references if found[r["id"]]] or ["- none"]
    lines += [
        "",
        *METHOD_NOTES,
        "## Wrong restatements",
        "",
        "| pair | changed | flags |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {p['id']} | {p['changed']} | {', '.join(found[p['id']]) or 'none (missed)'} |" for p in wrong
    ]
    if before:
        fixed = [p["id"] for p in faithful if before[p["id"]] and not found[p["id"]]]
        new = [p["id"] for p in faithful if found[p["id"]] and not before[p["id"]]]
        lines += ["", f"False alarms gone since before: {len(fixed)}; new ones: {len(new)} {new or ''}"]
    lines += [
        "",
        "## Cost",
        "",
        f"Once per process, on the first article (fresh interpreters, median of {COLD_RUNS}):",
        f"importing `itnews.facts.support` takes {first['import'] * 1e3:.0f} ms and the first check of an",
        f"Italian and an English summary {first['first check'] * 1e3:.0f} ms"
        + (
            f" (the version compared: {earlier['first_check']['import'] * 1e3:.0f} and "
            f"{earlier['first_check']['first check'] * 1e3:.0f} ms)"
            if earlier
            else ""
        )
        + ", most of it the tables it loads, each timed alone:",  # fmt: skip
        "",
        "| table | ms |",
        "| --- | ---: |",
        *(f"| {name} | {seconds * 1e3:.0f} |" for name, seconds in tables.items()),
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
