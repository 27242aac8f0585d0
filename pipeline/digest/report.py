"""The digest as one self-contained HTML page: no network, no external assets.

Per story: its title, its sources, the summary with each sentence's source marked, and its
figures, the conflicting ones highlighted with every source's value.
"""

from __future__ import annotations

from html import escape

from itnews.core.record import Record
from itnews.digest.build import Story, outlet

STYLE = """
body { font: 16px/1.5 Georgia, serif; max-width: 58rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-bottom: .2rem; }
.story { border-top: 1px solid #ccc; padding: 1rem 0; }
.sources { color: #555; font-size: .9rem; }
.summary sup { font: .7rem sans-serif; color: #fff; background: #4a6fa5; border-radius: .6rem;
  padding: 0 .35rem; }
table { border-collapse: collapse; font: .85rem sans-serif; margin-top: .6rem; width: 100%; }
td, th { border: 1px solid #ddd; padding: .25rem .4rem; text-align: left; vertical-align: top; }
tr.conflict td { background: #fde2e1; } .dissent { color: #b00; font-weight: bold; }
.tag { font: bold .75rem sans-serif; color: #b00; }
"""


def render(stories: list[Story], records: list[Record]) -> str:
    outlets = {record.id: outlet(record) for record in records}
    numbers = {}  # article id -> its number in the page, for the source marks
    for story in stories:
        for article in story.articles:
            numbers.setdefault(article, len(numbers) + 1)
    conflicts = sum(f["conflict"] for story in stories for f in story.figures)
    parts = [
        "<!DOCTYPE html><html lang='it'><head><meta charset='utf-8'><title>itnews digest</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>itnews digest</h1><p>{len(stories)} stories from {len(records)} articles; "
        f"{conflicts} figures on which the sources disagree.</p>",
    ]
    for story in stories:
        sources = ", ".join(
            f"<sup>{numbers[a]}</sup>&nbsp;{escape(outlets[a])} ({escape(a)})" for a in story.articles
        )
        summary = " ".join(
            f"{escape(s['text'])}<sup title='{escape(outlets[s['article']])}'>{numbers[s['article']]}</sup>"
            for s in story.sentences
        )
        parts += [
            f"<div class='story' id='{escape(story.story_id)}'>",
            f"<h2>{escape(story.title or story.story_id)}</h2>",
            f"<p class='sources'>{sources}</p><p class='summary'>{summary}</p>",
        ]
        if story.summary_en:
            parts.append(f"<p class='summary'><em>{escape(story.summary_en)}</em></p>")
        parts.append(figures_table(story, outlets))
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def figures_table(story: Story, outlets: dict[str, str]) -> str:
    if not story.figures:
        return ""
    rows = ["<table><tr><th>figure of</th><th>values, by source</th></tr>"]
    for figure in sorted(story.figures, key=lambda f: not f["conflict"]):
        values = "<br>".join(
            f"<span class='{'' if v['consensus'] else 'dissent'}'>{escape(v['text'])}</span>: "
            + ", ".join(escape(outlets[a]) for a in v["articles"])
            for v in figure["values"]
        )
        tag = " <span class='tag'>CONFLICT</span>" if figure["conflict"] else ""
        row_class = "conflict" if figure["conflict"] else ""
        rows.append(f"<tr class='{row_class}'><td>{escape(figure['what'])}{tag}</td><td>{values}</td></tr>")
    rows.append("</table>")
    return "".join(rows)
