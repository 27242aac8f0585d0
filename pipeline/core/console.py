"""What a person sees: one-line errors and warnings on stderr, records on stdout, a progress bar.

Every message is one line whatever it quotes: control characters (a newline in a file name) and
lone surrogates (undecodable bytes in one) are printed as escapes.
"""

from __future__ import annotations

import sys
import time

from itnews.core.record import INGEST, SUMMARY, Record, json_line, output

MAX_REPORTED_ERRORS = 10  # a batch run prints this many errors as they happen; all are in its output


def escape(text: str) -> str:
    """``text`` on one line: control characters and lone surrogates as Python escapes."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(
        char if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF else repr(char)[1:-1]
        for char in text
    )


def report(kind: str, item: str, message: str) -> None:
    """One line on stderr: ``error: <item>: <reason>`` or ``warning: <item>: <reason>``."""
    print(f"{kind}: {escape(item)}: {escape(message)}", file=sys.stderr, flush=True)


def report_failed(record: Record) -> None:
    print(f"error: {escape(record.error or '')}", file=sys.stderr, flush=True)


def print_json(values: dict) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(json_line(values))
    sys.stdout.buffer.flush()


class Terminal:
    """A sink for a person: each failed record's error on stderr (``failed`` remembers one), each
    other record shown by `show`."""

    done: set[str] = frozenset()  # nothing is skipped: every input asked for is shown

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.failed = False

    def write(self, records: list[Record]) -> None:
        for record in records:
            if record.ok:
                self.show(record)
            else:
                report_failed(record)
                self.failed = True

    def show(self, record: Record) -> None:
        raise NotImplementedError

    def close(self, finalise: bool = True) -> None:
        sys.stdout.flush()


class Printer(Terminal):
    """The sink of `itnews summarise` and `itnews ingest`: each record on stdout (JSON, or readable
    text), its warnings on stderr. A warning shared by every record (no translator, say) is
    printed once in a summarise run; ingest prints each record's own."""

    def __init__(self, view: str, as_json: bool):
        super().__init__(as_json)
        self.view = view
        self.warned: set[str] = set()

    def show(self, record: Record) -> None:
        for warning in record.warnings:
            if self.view == INGEST or warning not in self.warned:
                report("warning", record.source, warning)
                self.warned.add(warning)
        if self.as_json:
            print_json(output(record, self.view))
        elif self.view == SUMMARY:
            print_summaries(record)
        else:
            print_sentences(record)


def print_summaries(record: Record) -> None:
    print(f"# {escape(record.title or record.id)}  [{escape(record.source)}]")
    if record.summary_it is not None:
        print(f"IT: {record.summary_it}")
    if record.summary_en is not None:
        print(f"EN: {record.summary_en}")
    print()


def print_sentences(record: Record) -> None:
    where = f"{escape(record.source)}, lang={record.lang}, {len(record.sentences)} sentences"
    print(f"# {escape(record.id)} ({where})")
    if record.title:
        print(f"title: {record.title}")
    for number, sentence in enumerate(record.sentences, 1):
        print(f"{number:3d}. {sentence}")
    print()


class CheckPrinter(Terminal):
    """The sink of `itnews check`: per article, its summaries' faithfulness (JSON, or one line per
    unsupported fact). ``unsupported`` counts the facts not in the articles."""

    def __init__(self, as_json: bool):
        super().__init__(as_json)
        self.unsupported = 0

    def show(self, record: Record) -> None:
        checks = record.checks["faithfulness"]
        self.unsupported += sum(f["count"] for c in checks.values() if c for f in c["unsupported"])
        if self.as_json:
            print_json({"id": record.id, **checks})
            return
        for lang, check in checks.items():
            if check is None:
                continue
            verdict = (
                "every fact supported"
                if not check["unsupported"]
                else "NOT in the article: "
                + "; ".join(
                    f"{fact['kind']} {fact['text']!r}" + (f" ({fact['count']} times)" * (fact["count"] > 1))
                    for fact in check["unsupported"]
                )
            )
            print(f"{escape(record.id)} [{lang}] {check['facts']} facts, {verdict}")


class Progress:
    """A batch run's display: a progress bar with articles/s and ETA on a terminal, nothing
    otherwise; the first MAX_REPORTED_ERRORS errors are printed either way."""

    def __init__(self, show: bool, total: int | None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} articles/s  ETA {task.fields[eta]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not show,
        )
        self.task = self.bar.add_task("batch", total=total, rate="-", eta="-")
        self.total = total
        self.reported = 0

    def __enter__(self) -> Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()

    def update(self, summary, skipped: int, elapsed: float, records: list[Record]) -> None:
        for record in records:
            if not record.ok and self.reported < MAX_REPORTED_ERRORS:
                self.reported += 1
                report_failed(record)
                if self.reported == MAX_REPORTED_ERRORS:
                    print('more errors: status "error" in the output', file=sys.stderr, flush=True)
        processed = summary.ok + summary.error
        rate = processed / elapsed if elapsed else 0.0
        completed = processed + skipped
        eta = "-"
        if self.total is not None and rate:
            eta = time.strftime("%H:%M:%S", time.gmtime(max(self.total - completed, 0) / rate))
        self.bar.update(self.task, completed=completed, rate=f"{rate:.1f}", eta=eta)
