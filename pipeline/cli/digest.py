"""`itnews digest`: many outlets' articles grouped into stories, one summary each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from itnews.cli import FollowSymlinks, JsonFlag, app, report, run_or_stop, summary_chain, with_summary_options
from itnews.core.record import json_line

if TYPE_CHECKING:
    from itnews.summarise.steps import SummaryOptions


@app.command()
@with_summary_options
def digest(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT",
            help="Article files, folders of them, .jsonl/.csv/.parquet files or datasets, as for batch.",
            show_default=False,
        ),
    ] = None,
    store_path: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Instead of INPUT: the stories of a store `itnews watch` fills, as it summarised them.",
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option(
            "--since", help="With --store: stories with news this recent (24h, 3d, 90m) or since a date."
        ),
    ] = "24h",
    out: Annotated[
        str | None, typer.Option("--out", help="Write the stories here, one JSON line each.")
    ] = None,
    report_path: Annotated[
        str | None, typer.Option("--report", help="Write a self-contained HTML page of the stories.")
    ] = None,
    as_json: JsonFlag = False,
    text_field: Annotated[
        str, typer.Option("--text-field", help="Record field with the article text.")
    ] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="Record field with the id.")] = "id",
    title_field: Annotated[str, typer.Option("--title-field", help="Record field with the title.")] = "title",
    source_field: Annotated[
        str | None,
        typer.Option("--source-field", help="Record field with the outlet; default: the file's name."),
    ] = None,
    date_field: Annotated[
        str | None, typer.Option("--date-field", help="Record field with the publication date (ISO 8601).")
    ] = None,
    follow_symlinks: FollowSymlinks = False,
    *,
    options: SummaryOptions,
    strict_lang: bool,
) -> None:
    """Group many outlets' articles into stories: a headline and one summary per story, sources
    named, a timeline of what changed day to day, and the figures the sources disagree on. With
    --store, the stories of a store with news since --since."""
    from itnews.core.console import print_json, report_failed
    from itnews.core.outputs import claim, own_jsonl, starts_with
    from itnews.core.record import InputError
    from itnews.core.runner import Collect
    from itnews.core.sources import Fields, digest_source
    from itnews.digest.build import STORY_KEYS, build_stories, summarise_stories
    from itnews.digest.report import REPORT_START, render

    inputs = inputs or []
    if bool(inputs) == bool(store_path):
        report("error", "digest", "give INPUT... or --store, one of them")
        raise typer.Exit(1)
    fields = Fields(text=text_field, id=id_field, title=title_field, outlet=source_field, date=date_field)
    read = [*inputs, *([store_path] if store_path else [])]
    try:  # both outputs are claimed before any work, and held until written
        held_out = out and claim(
            Path(out), inputs=read, option="--out", own=own_jsonl(STORY_KEYS), what="a digest output"
        )
        held_report = report_path and claim(
            Path(report_path),
            inputs=[*read, *([out] if out else [])],
            option="--report",
            own=starts_with(REPORT_START.encode()),
            what="a digest report",
        )
        if store_path:
            stories, articles = stored_stories(store_path, since)
            failed = 0
        else:
            source = digest_source(inputs, fields, follow_symlinks)
            clean, *summary_steps = summary_chain(options, strict_lang)  # models load here
            collected = Collect()
            run_or_stop(source, [clean], collected, unique_ids=True)
    except InputError as err:
        report("error", err.item, err.reason)
        raise typer.Exit(1) from None
    if not store_path:
        for record in collected.records:
            if not record.ok:
                report_failed(record)
        articles = [record for record in collected.records if record.ok]
        failed = len(collected.records) - len(articles)
        if not articles:
            report("error", " ".join(inputs), "no article to digest")
            raise typer.Exit(1)
        stories = build_stories(articles, options.words)
        summarise_stories(stories, articles, summary_steps)
    elif not stories:
        report("warning", store_path, f"no story with news since {since}")
    lines = [story.to_dict() for story in stories]
    for held, content in ((held_out, lambda: b"".join(map(json_line, lines))),
                          (held_report, lambda: render(stories, articles).encode("utf-8"))):  # fmt: skip
        if held:
            try:
                held.write(content())
            except OSError as err:
                report("error", str(held.path), f"cannot write: {err.strerror or err}")
                raise typer.Exit(1) from None
    warned = set()
    for story in stories:
        for warning in story.warnings:  # a notice every story shares (no translator) is printed once
            if warning not in warned:
                report("warning", story.story_id, warning)
                warned.add(warning)
        if as_json:
            print_json(story.to_dict())
        else:
            print_story(story)
    raise typer.Exit(1 if failed else 0)


def stored_stories(path: str, since: str) -> tuple[list, list]:
    """The stories of the store at ``path`` with news since ``since``, and their articles."""
    from itnews.core.record import InputError
    from itnews.monitor.store import Store, cutoff

    try:
        when = cutoff(since)
    except ValueError as err:
        raise InputError(f"--since {since}", str(err)) from None
    with Store(path, create=False) as store:
        return store.digest(when)


def print_story(story) -> None:
    """A story as text: headline, sources, summary (a disputed figure's other values beside its
    sentence), the day-to-day changes of its figures and the figures sources disagree on."""
    articles = f"{len(story.articles)} article{'s' * (len(story.articles) > 1)}"
    print(f"# {story.headline or story.story_id}  [{articles}: {', '.join(story.sources)}]")
    print(f"IT: {story.summary_it}")
    if story.summary_en:
        print(f"EN: {story.summary_en}")
    for sentence in story.sentences:
        for dispute in sentence["disputed"]:
            others = "; ".join(f"{o['text']} ({', '.join(o['articles'])})" for o in dispute["others"])
            print(f"disputed: {dispute['stated']} ({sentence['article']}), {dispute['label']}: {others}")
    for entry in story.timeline:
        for change in entry["updates"]:
            changed = f"{change['label']}: {change['before']} -> {change['after']}"
            print(f"{entry['date']} {entry['outlet']}: {changed}")
    for figure in story.figures:
        if figure["conflict"]:  # the values of the days the sources disagree on
            days = {v["date"] for v in figure["values"] if not v["consensus"]}
            values = "; ".join(
                f"{v['text']} ({', '.join(v['articles'])}{', ' + v['date'] if v['date'] else ''})"
                for v in figure["values"]
                if v["date"] in days or v["date"] is None
            )
            print(f"conflict: {figure['label']}: {values}")
    print()
