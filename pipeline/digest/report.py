"""The digest as one self-contained HTML page for a media monitor: no network, no external assets.

Stories come in the order a monitor reads them: carried by the most outlets first, then the most
recent. Per story: its headline; its sources, numbered, with outlet, date and title; the summary,
each sentence marked with its source's number and, beside it, what other sources say where they
dispute one of its figures; the timeline (what each outlet reported each day, the figures that
changed); and the figures, a conflict marked with every source's value and date. Every text is
escaped: titles, outlets and ids come from the input.
"""

from __future__ import annotations

import datetime
from html import escape

from itnews.core.record import Record
from itnews.digest.alignment import published
from itnews.digest.build import Story, outlet

STYLE = """
body { font: 16px/1.5 Georgia, serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.3rem; margin: 0 0 .2rem; }
h3 { font: bold .8rem sans-serif; text-transform: uppercase; letter-spacing: .05em; color: #666;
  margin: 1rem 0 .3rem; }
.lede { color: #555; } nav ol { font-size: .95rem; padding-left: 1.6rem; } nav li { margin: .15rem 0; }
h2.once { margin-top: 2rem; } .story.once { padding: .6rem 0; border-top-width: 1px; }
.once h2 { font-size: 1.05rem; }
.story { border-top: 2px solid #ccc; padding: 1.2rem 0; }
.meta { font: .85rem sans-serif; color: #555; margin: 0 0 .5rem; }
.conflicts { color: #b00; font-weight: bold; }
ol.sources { font: .85rem sans-serif; color: #444; padding-left: 1.6rem; margin: .3rem 0; }
.summary p { margin: .3rem 0; }
sup.src { font: .7rem sans-serif; color: #fff; background: #4a6fa5; border-radius: .6rem; padding: 0 .35rem; }
.dispute { font: .8rem sans-serif; color: #b00; background: #fde2e1; padding: 0 .3rem; border-radius: .2rem; }
table { border-collapse: collapse; font: .85rem sans-serif; width: 100%; }
td, th { border: 1px solid #ddd; padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.date { white-space: nowrap; } th.wide { width: 40%; }
tr.conflict td { background: #fde2e1; } .dissent { color: #b00; font-weight: bold; }
.tag { font: bold .7rem sans-serif; color: #fff; background: #b00; padding: 0 .3rem; border-radius: .2rem; }
.change { color: #245; font-weight: bold; }
"""


# How every page begins: `itnews digest --report` rewrites a file only if it begins so.
REPORT_START = (
    "<!DOCTYPE html><html lang='it'><head><meta charset='utf-8'>"
    "<meta name='generator' content='itnews digest'>"
)


def render(stories: list[Story], records: list[Record]) -> str:
    by_id = {record.id: record for record in records}
    ordered = sorted(stories, key=lambda story: reading_order(story, by_id))
    told = [story for story in ordered if len(story.articles) > 1]
    once = [story for story in ordered if len(story.articles) == 1]
    conflicts = sum(f["conflict"] for story in stories for f in story.figures)
    days = sorted(r.published[:10] for r in records if r.published)
    span = f", {days[0]} to {days[-1]}" if days else ""
    parts = [
        REPORT_START,
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>itnews digest</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>itnews digest</h1>",
        f"<p class='lede'>{several(len(stories), 'story', 'stories')} from {several(len(records), 'article')}"
        f" by {several(len({outlet(r) for r in records}), 'outlet')}{escape(span)}; "
        f"{several(conflicts, 'figure')} on which sources disagree on the same day. Stories carried by the "
        "most outlets come first, then the most recent.</p>",
    ]
    if told:  # the index: a monitor's first look is at what several articles report
        parts.append(f"<nav><h3>Told by more than one article ({len(told)})</h3><ol>")
        parts += [
            f"<li><a href='#{escape(s.story_id)}'>{escape(s.headline or s.story_id)}</a> "
            f"<span class='meta'>{escape(story_meta(s, by_id))}</span></li>"
            for s in told
        ]
        parts.append(f"</ol>{f'<p class=meta>Then {len(once)} reported once.</p>' if once else ''}</nav>")
    parts += [story_section(story, by_id) for story in told]
    if once:
        parts.append("<h2 class='once'>Reported once</h2>")
        parts += [single_section(story, by_id) for story in once]
    parts.append("</body></html>")
    return "\n".join(parts)


def story_meta(story: Story, by_id: dict[str, Record]) -> str:
    """ "2 outlets · 16 articles · 2024-09-21 to 2024-09-30"."""
    days = sorted({(by_id[a].published or "")[:10] for a in story.articles} - {""})
    return " · ".join([
        several(len(story.sources), "outlet"),
        several(len(story.articles), "article"),
        *([days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"] if days else []),
    ])  # fmt: skip


def single_section(story: Story, by_id: dict[str, Record]) -> str:
    """A story one article tells: its headline, outlet and date, and its summary."""
    record = by_id[story.articles[0]]
    where = ", ".join([outlet(record), *([record.published[:10]] if record.published else [])])
    return (
        f"<section class='story once' id='{escape(story.story_id)}'>"
        f"<h2>{escape(story.headline or story.story_id)}</h2><p class='meta'>{escape(where)}</p>"
        f"<p>{escape(story.summary_it or '')}</p></section>"
    )


def several(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 article", "16 articles"."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def reading_order(story: Story, by_id: dict[str, Record]) -> tuple:
    """Most outlets first, then the most recent (its latest article), then the most articles."""
    latest = max(published(by_id[a]) or datetime.date.min for a in story.articles)
    return (-len(story.sources), -latest.toordinal(), -len(story.articles))


def story_section(story: Story, by_id: dict[str, Record]) -> str:
    number = {article: n for n, article in enumerate(story.articles, 1)}  # the sources' marks
    names = {article: outlet(by_id[article]) for article in story.articles}
    disputed = sum(f["conflict"] for f in story.figures)
    conflict_note = (
        f" · <span class='conflicts'>{several(disputed, 'disputed figure')}</span>" if disputed else ""
    )
    sources = "".join(
        f"<li>{escape(names[a])}{escape(', ' + by_id[a].published[:10]) if by_id[a].published else ''}"
        f"{escape(' — ' + by_id[a].title) if by_id[a].title else ''}</li>"
        for a in story.articles
    )
    parts = [
        f"<section class='story' id='{escape(story.story_id)}'>",
        f"<h2>{escape(story.headline or story.story_id)}</h2>",
        f"<p class='meta'>{escape(story_meta(story, by_id))}{conflict_note}</p>",
        "<h3>Summary</h3><div class='summary'>",
    ]
    extractive = " ".join(s["text"] for s in story.sentences)
    if story.summary_it and story.summary_it != extractive:  # a model's summary of the sentences below
        parts.append(f"<p>{escape(story.summary_it)}</p>")
    for sentence in story.sentences:
        source = sentence["article"]
        mark = f"<sup class='src' title='{escape(names[source])}'>{number[source]}</sup>"
        notes = "".join(
            f" <span class='dispute'>{escape(dispute_note(d, names))}</span>" for d in sentence["disputed"]
        )
        parts.append(f"<p>{escape(sentence['text'])}{mark}{notes}</p>")
    if story.summary_en:
        parts.append(f"<p><em>{escape(story.summary_en)}</em></p>")
    parts += ["</div>", f"<h3>Sources</h3><ol class='sources'>{sources}</ol>"]
    parts.append(timeline_table(story))
    parts.append(figures_table(story, names))
    parts.append("</section>")
    return "\n".join(parts)


def dispute_note(dispute: dict, names: dict[str, str]) -> str:
    """ "valore: other sources say 138 miliardi di dollari (Notizie Oggi, 2025-11-03)"."""
    others = []
    for other in dispute["others"]:
        where = [
            *dict.fromkeys(names[a] for a in other["articles"]),
            *([other["date"]] if other["date"] else []),
        ]
        others.append(f"{other['text']} ({', '.join(where)})")
    return f"{dispute['label']}: other sources say {'; '.join(others)}"


def timeline_table(story: Story) -> str:
    if len({entry["date"] for entry in story.timeline}) < 2:
        return ""  # one day: nothing developed
    rows = [
        "<h3>Timeline</h3><table><tr><th>date</th><th>outlet</th><th>reported</th>"
        "<th class='wide'>figures: changed since the day before, first given</th></tr>"
    ]
    for entry in story.timeline:
        changes = [
            f"<span class='change'>{escape(u['label'])}: {escape(u['before'])} → {escape(u['after'])}</span>"
            for u in entry["updates"]
        ]
        if entry["new"]:
            first = " · ".join(f"{n['label']} {n['text']}" for n in entry["new"])
            changes.append(f"<span class='meta'>first given: {escape(first)}</span>")
        rows.append(
            f"<tr><td class='date'>{escape(entry['date'])}</td><td>{escape(entry['outlet'])}</td>"
            f"<td>{'<br>'.join(escape(t) for t in entry['titles'])}</td><td>{'<br>'.join(changes)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def figures_table(story: Story, names: dict[str, str]) -> str:
    """The figures, conflicts first: each value with its sources and dates (one line for a value that
    stays the same from day to day), a dissenting value in red, and the days sources disagree on."""
    if not story.figures:
        return ""
    rows = ["<h3>Figures</h3><table><tr><th>figure of</th><th>values, by source and date</th></tr>"]
    for figure in sorted(story.figures, key=lambda f: not f["conflict"]):
        lines: list[dict] = []  # runs of one value: {"text", "consensus", "outlets", "dates"}
        for v in figure["values"]:
            if not (lines and (lines[-1]["text"], lines[-1]["consensus"]) == (v["text"], v["consensus"])):
                lines.append({"text": v["text"], "consensus": v["consensus"], "outlets": {}, "dates": {}})
            lines[-1]["outlets"].update(dict.fromkeys(names[a] for a in v["articles"]))
            lines[-1]["dates"].update(dict.fromkeys([v["date"]] if v["date"] else []))
        values = "<br>".join(
            f"<span class='{'' if line['consensus'] else 'dissent'}'>{escape(line['text'])}</span>: "
            + escape(", ".join(line["outlets"]))
            + f" <span class='meta'>{escape(', '.join(line['dates']))}</span>"
            for line in lines
        )
        tag = ""
        if figure["conflict"]:
            days = sorted({v["date"] for v in figure["values"] if not v["consensus"] and v["date"]})
            on = f" on {', '.join(days)}" if days else ""
            tag = f" <span class='tag'>CONFLICT{escape(on)}</span>"
        row_class = "conflict" if figure["conflict"] else ""
        rows.append(f"<tr class='{row_class}'><td>{escape(figure['label'])}{tag}</td><td>{values}</td></tr>")
    rows.append("</table>")
    return "".join(rows)
