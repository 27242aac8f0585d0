"""The digest measured on the project's story corpus, and its scale on the Il Post leads.

    python eval/digest.py [--ilpost ../shared/data/ilpost/ilpost.csv]

- Stories: BCubed precision, recall and F1 of the digest's stories against corpus/stories/labels.jsonl.
- Conflicts: precision and recall of the flagged conflicts against corpus/stories/conflicts.jsonl.
  A flagged conflict is right when a labelled conflict of the same story has its dissenting
  article among the flagged group's dissent; a labelled conflict is found when some flagged
  conflict is right about it. Groups labelled "no conflict" (a unit left out, a rounding) that are
  flagged count as false conflicts.
- Summaries: ROUGE (the project's Italian tokenizer) of each labelled story's digest summary
  against corpus/stories/references.jsonl, beside Lead-3 of the story's first article and the best
  single-article extractive summary (the article whose summary scores best: an oracle choice),
  with paired bootstraps.
- Scale: the digest of every Il Post lead (headline as title), wall time and peak memory.

The articles are given as one JSONL file with the outlet and date of each, as a user would with
--source-field and --date-field. Writes eval/DIGEST.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STORIES = REPO / "corpus" / "stories"


def stories_jsonl(path: Path) -> list[dict]:
    labels = [json.loads(line) for line in (STORIES / "labels.jsonl").open(encoding="utf-8")]
    with path.open("w", encoding="utf-8") as out:
        for label in labels:
            text = (STORIES / label["path"]).read_text(encoding="utf-8")
            row = {"id": label["id"], "text": text, "outlet": label["outlet"], "date": label["date"]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return labels


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    members_p, members_g = Counter(predicted.values()), Counter(gold.values())
    precision = recall = 0.0
    for item in gold:
        same_both = sum(
            1 for other in gold if predicted[other] == predicted[item] and gold[other] == gold[item]
        )
        precision += same_both / members_p[predicted[item]]
        recall += same_both / members_g[gold[item]]
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def conflict_scores(stories: list[dict], labels: dict[str, str]) -> tuple[float, float, list[str]]:
    groups = [json.loads(line) for line in (STORIES / "conflicts.jsonl").open(encoding="utf-8")]
    labelled = [g for g in groups if g["conflict"]]
    flagged = [(story, figure) for story in stories for figure in story["figures"] if figure["conflict"]]
    found, right, notes = set(), 0, []
    for story, figure in flagged:
        dissent = {a for v in figure["values"] if not v["consensus"] for a in v["articles"]}
        consensus = {a for v in figure["values"] if v["consensus"] for a in v["articles"]}
        hits = [
            i for i, g in enumerate(labelled)
            if set(g["dissent"]) & (dissent | consensus) and labels[g["dissent"][0]] == g["story"]
            and {v["article"] for v in g["values"]} & (dissent | consensus) - set(g["dissent"])
            and set(g["dissent"]) & dissent
        ]  # fmt: skip
        if hits:
            right += 1
            found.update(hits)
        else:
            values = "; ".join(f"{v['text']} ({', '.join(v['articles'])})" for v in figure["values"])
            notes.append(f"false conflict in {story['story_id']}: {figure['what']}: {values}")
    for i, g in enumerate(labelled):
        if i not in found:
            notes.append(f"missed: {g['story']} {g['what']} (dissent {', '.join(g['dissent'])})")
    precision = right / len(flagged) if flagged else 1.0
    return precision, len(found) / len(labelled), notes


def summary_scores(stories: list[dict], labels: dict[str, str], articles: dict[str, object]) -> list[str]:
    from itnews.evaluate.bootstrap import paired_bootstrap
    from itnews.evaluate.rouge import score_pair
    from itnews.summarise import extractive

    references = {
        r["story"]: r["summary_it"]
        for r in (json.loads(line) for line in (STORIES / "references.jsonl").open(encoding="utf-8"))
    }
    systems: dict[str, list[float]] = {
        "digest": [],
        "lead-3 of the first article": [],
        "best single article": [],
    }
    for story_id, reference in references.items():
        members = [a for a, s in labels.items() if s == story_id]
        home = Counter(
            story["story_id"] for story in stories for a in story["articles"] if a in members
        ).most_common(1)[0][0]
        digest = next(s for s in stories if s["story_id"] == home)["summary_it"]
        first = articles[members[0]]
        singles = [
            extractive.summarise(articles[a].sentences, "extractive", 70, articles[a].title) for a in members
        ]
        systems["digest"].append(score_pair(reference, digest)["rouge1"].fmeasure)
        systems["lead-3 of the first article"].append(
            score_pair(reference, " ".join(first.sentences[:3]))["rouge1"].fmeasure
        )
        systems["best single article"].append(
            max(score_pair(reference, s)["rouge1"].fmeasure for s in singles)
        )
    lines = ["| system | ROUGE-1 F | digest vs it (paired bootstrap, 95%) |", "|---|---|---|"]
    for name, values in systems.items():
        verdict = "—"
        if name != "digest":
            c = paired_bootstrap(systems["digest"], values)
            verdict = (
                f"{100 * c.difference:+.2f} [{100 * c.ci_low:+.2f}, {100 * c.ci_high:+.2f}], {c.verdict}"
            )
        lines.append(f"| {name} | {100 * sum(values) / len(values):.2f} | {verdict} |")
    return lines


def scale(ilpost: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        fields = ["--text-field", "summary", "--title-field", "headline", "--date-field", "date"]
        command = [
            sys.executable,
            "-m",
            "itnews.cli",
            "digest",
            ilpost,
            *fields,
            "--out",
            f"{folder}/out.jsonl",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stories = Path(folder, "out.jsonl").read_text(encoding="utf-8").count("\n")
    errors = sum(line.startswith("error: ") for line in done.stderr.splitlines())
    return (f"{Path(ilpost).name}: {stories:,} stories in {wall:.1f} s wall, peak memory {peak:.0f} MB "
            f"(exit {done.returncode}; {errors:,} records without text reported as errors)")  # fmt: skip


def main() -> None:
    from itnews.core.runner import Collect, run
    from itnews.core.sources import Fields, open_source
    from itnews.digest.build import build_stories
    from itnews.ingest.clean import Clean

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ilpost", default=str(REPO.parent / "shared" / "data" / "ilpost" / "ilpost.csv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stories.jsonl"
        labels = {label["id"]: label["story"] for label in stories_jsonl(path)}
        collected = Collect()
        run(open_source(str(path), Fields(outlet="outlet", date="date")), [Clean()], collected)
    articles = {record.id: record for record in collected.records}
    started = time.perf_counter()
    stories = [story.to_dict() for story in build_stories(list(articles.values()), 70)]
    seconds = time.perf_counter() - started
    predicted = {article: story["story_id"] for story in stories for article in story["articles"]}
    p, r, f = bcubed(predicted, labels)
    cp, cr, notes = conflict_scores(stories, labels)
    lines = [
        "# Digest: results",
        "",
        "Command: `python eval/digest.py` (the story corpus: corpus/stories/, "
        f"{len(set(labels.values()))} stories, {len(labels)} articles).",
        "The clustering threshold and the figure alignment's settings were chosen on this corpus: these "
        "are not held-out figures.",
        "",
        "## Stories",
        "",
        f"BCubed precision {p:.3f}, recall {r:.3f}, F1 **{f:.3f}** ({len(stories)} stories found; "
        f"digest of the corpus in {seconds:.1f} s after cleaning).",
        "",
        "## Conflicting figures",
        "",
        f"Precision **{cp:.3f}**, recall **{cr:.3f}**.",
        "",
        *[f"- {note}" for note in notes],
        "",
        "## Summaries (ROUGE-1 F against the hand-written story references)",
        "",
        *summary_scores(stories, labels, articles),
        "",
        "## Scale",
        "",
        scale(args.ilpost) if Path(args.ilpost).exists() else "Il Post CSV not found: not run.",
        "",
    ]
    (REPO / "eval" / "DIGEST.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
