"""Summarise: turn Articles into Results with an Italian and an English summary."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline import extractive
from pipeline.records import Article, Result

NO_TRANSLATOR_WARNING = (
    "no English summary: no translation model configured "
    "(pass --translator opus-mt-it-en after `itnews models pull opus-mt-it-en` on a connected machine, "
    "or --translator DIR for a local model)"
)


@dataclass
class SummaryOptions:
    method: str = "extractive"  # the extractive method: extractive, lead1, lead2, lead3
    max_words: int = extractive.DEFAULT_MAX_WORDS
    languages: tuple[str, ...] = ("it", "en")


class Summariser:
    """Built once, then called on batches of articles; results come back in input order."""

    def __init__(self, options: SummaryOptions):
        if options.method not in extractive.METHODS:
            raise ValueError(
                f"unknown method {options.method!r}; choose from {', '.join(extractive.METHODS)}"
            )
        self.options = options

    def summarise(self, articles: list[Article]) -> list[Result]:
        return [self._summarise_one(article) for article in articles]

    def _summarise_one(self, article: Article) -> Result:
        started = time.perf_counter()
        summary_it = extractive.summarise(article.sentences, self.options.method, self.options.max_words)
        warnings = list(article.warnings)
        if "en" in self.options.languages:
            warnings.append(NO_TRANSLATOR_WARNING)
        return Result(
            id=article.id,
            status="ok",
            summary_it=summary_it if "it" in self.options.languages else None,
            summary_en=None,
            method=self.options.method,
            model={"summariser": f"itnews-{self.options.method}", "max_words": self.options.max_words},
            warnings=warnings,
            timings={"summarise_it_s": round(time.perf_counter() - started, 4)},
        )
