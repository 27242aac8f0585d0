"""The faithfulness guard: every figure, date and name of a summary traced back to its article.

`Guard` is a step after summarising and translating. For each summary it records, in
``record.checks["faithfulness"]``, ``{"it": {"facts": N, "unsupported": [{"text", "kind", "count"}]},
"en": {...}}`` (null for a language without a summary), and a warning per unsupported fact, each
fact once with the number of times the summary states it. The
check itself is `itnews.facts.support.check_summary` (facts extracted by `itnews.facts.extract`); an English
summary is checked against the Italian article through the same normalised facts.

Modes (``--guard``): ``flag`` (the default) checks and warns, ``off`` does not check, ``rerank``
also makes the seq2seq summariser choose, among its beam candidates, the most faithful one
(`most_faithful`; the approach of Zhao et al., Findings of EMNLP 2020, on quantities).
"""

from __future__ import annotations

from itnews.core.record import Record
from itnews.core.steps import Step

GUARD_MODES = ("flag", "off", "rerank")
LANGUAGES = ("it", "en")


def article_text(record: Record) -> str:
    """What a summary may draw its facts from: the headline and the body."""
    return f"{record.title}\n\n{record.text}" if record.title else record.text or ""


def check(summary: str, record: Record, lang: str):
    from itnews.facts.support import check_summary

    return check_summary(summary, article_text(record), lang, record.lang or "it")


def report(result) -> dict:
    return {
        "facts": result.facts,
        "unsupported": [{"text": f.text, "kind": f.kind, "count": n} for f, n in result.distinct()],
    }


def times(count: int) -> str:
    return f" ({count} times)" if count > 1 else ""


MIN_DETECTABLE = 40  # characters: shorter summaries are too short to tell their language


class Guard(Step):
    timing_key = "guard_s"

    def process(self, records: list[Record]) -> None:
        from itnews.ingest.language import detect_language

        for record in records:
            checks, warnings = {}, []
            for lang in LANGUAGES:
                summary = getattr(record, f"summary_{lang}")
                if summary is not None and not summary.strip():
                    warnings.append(f"{lang} summary is empty")
                if not summary or not summary.strip():
                    checks[lang] = None
                    continue
                detected, probability = detect_language(summary)
                if detected != lang and len(summary) >= MIN_DETECTABLE:  # checked anyway, with its rules
                    warnings.append(
                        f"{lang} summary looks like '{detected}' (p={probability:.2f}), not '{lang}'"
                    )
                result = check(summary, record, lang)
                checks[lang] = report(result)
                warnings += [
                    f"{lang} summary: {f.kind} {f.text!r} is not in the article{times(n)}"
                    for f, n in result.distinct()
                ]
            record.checks = {**record.checks, "faithfulness": checks}
            record.warnings = record.warnings + warnings


def most_faithful(candidates: list[tuple[str, float]], record: Record) -> str:
    """The candidate with the fewest unsupported facts; ties go to the model's higher score."""
    return min(
        candidates, key=lambda candidate: (len(check(candidate[0], record, "it").unsupported), -candidate[1])
    )[0]


class AttachSummaries(Step):
    """`itnews check`: the summaries made elsewhere (``{id: {"it": ..., "en": ...}}``), put on the
    records of their articles for the Guard to check. An article without a summary is an error."""

    def __init__(self, summaries: dict[str, dict[str, str]]):
        self.summaries = summaries

    def process(self, records: list[Record]) -> None:
        for record in records:
            if record.id not in self.summaries:
                record.fail(record.source, f"no summary with id {record.id!r} in the summaries file")
                continue
            record.summary_it = self.summaries[record.id].get("it")
            record.summary_en = self.summaries[record.id].get("en")
