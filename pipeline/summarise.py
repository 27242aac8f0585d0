"""Summarise: turn Articles into Results with an Italian and an English summary.

The Italian summary comes from a seq2seq summariser (a preset, hub id or directory) or from the
embedded extractive summariser; the English one from an instruction model prompted in English,
or by translating the Italian summary sentence by sentence with an it->en model. With no model
asked for, the `[defaults]` presets are used when they are in the local cache, and otherwise the
extractive summariser, saying so in the warnings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from itnews import extractive
from itnews.records import Article, Result

if TYPE_CHECKING:
    from itnews.seq2seq import Seq2SeqModel

LONG_MODES = ("truncate", "chunk")


@dataclass
class SummaryOptions:
    method: str | None = None  # an extractive method; None lets `model` (or the defaults) decide
    model: str | None = None  # preset, hub id or directory; None: the default preset if cached
    translator: str | None = None  # likewise, for it->en
    words: int = extractive.DEFAULT_WORDS
    languages: tuple[str, ...] = ("it", "en")
    device: str = "auto"
    long: str = "truncate"  # past the model's input limit: truncate, or chunk and summarise again
    quantize: bool = False  # int8 dynamic quantization of the models' linear layers (CPU only)


class Summariser:
    """Built once (models load here), then called on batches; results come back in input order."""

    def __init__(self, options: SummaryOptions):
        from itnews.presets import is_cached, load_presets
        from itnews.seq2seq import Seq2SeqModel

        if options.method is not None and options.method not in extractive.METHODS:
            raise ValueError(
                f"unknown method {options.method!r}; choose from {', '.join(extractive.METHODS)}"
            )
        if options.long not in LONG_MODES:
            raise ValueError(f"--long must be one of {', '.join(LONG_MODES)}")
        if options.method is not None and options.model is not None:
            raise ValueError("--method picks an extractive method and --model a seq2seq model: give one")
        notices: list[str] = []
        presets, defaults = load_presets()

        def choose(requested: str | None, role: str) -> str | None:
            if requested is not None:
                return requested
            default = defaults.get(role)
            if default and is_cached(presets[default].hub_id):
                return default
            return None

        summariser = None
        if options.method is None:
            name = choose(options.model, "summariser")
            if name is not None:
                summariser = Seq2SeqModel(name, "summarise", options.device, options.quantize)
            else:
                default = defaults.get("summariser")
                notices.append(
                    f"Italian summary by the embedded extractive summariser: the default model "
                    f"{default} is not downloaded (`itnews models pull {default}` on a connected "
                    "machine, or --model DIR)"
                )
        translator = None
        instruct = summariser is not None and summariser.preset.task == "instruct"
        if "en" in options.languages and not instruct:
            name = choose(options.translator, "translator")
            if name is not None:
                translator = Seq2SeqModel(name, "translate", options.device, options.quantize)
            else:
                notices.append(
                    "no English summary: no translation model available (`itnews models pull "
                    f"{defaults.get('translator')}` on a connected machine, then --translator "
                    f"{defaults.get('translator')}, or --translator DIR for a local model)"
                )
        self._adopt(options, summariser, translator, notices)

    @classmethod
    def from_models(
        cls, options: SummaryOptions, summariser: Seq2SeqModel | None, translator: Seq2SeqModel | None
    ) -> Summariser:
        """A summariser around models already in memory (`itnews bench`'s random-weight architectures);
        with no ``summariser`` the Italian summary is ``options.method``'s, by default extractive."""
        built = cls.__new__(cls)
        built._adopt(options, summariser, translator, notices=[])
        return built

    def _adopt(self, options, summariser, translator, notices: list[str]) -> None:
        self.options = options
        self.notices = notices  # run-wide warnings, copied into every result
        self.summariser = summariser
        self.method = options.method or ("seq2seq" if summariser else "extractive")
        self.instruct = summariser is not None and summariser.preset.task == "instruct"
        self.translator = translator

    def provenance(self) -> dict:
        model: dict = {"device": self.summariser.device if self.summariser else "cpu"}
        if self.summariser:
            model["summariser"] = self.summariser.provenance()
        else:
            model["summariser"] = {"name": f"itnews-{self.method}", "words": self.options.words}
        if self.translator:
            model["translator"] = self.translator.provenance()
        return model

    def summarise(self, articles: list[Article]) -> list[Result]:
        """Summaries for a batch. If the batch fails, each article is retried alone so that one bad
        article becomes one error result instead of sinking its neighbours."""
        try:
            return self._summarise_batch(articles)
        except Exception as err:  # any failure of the model, on whatever input
            if len(articles) == 1:
                return [Result(id=articles[0].id, status="error", error=f"{type(err).__name__}: {err}")]
        return [result for article in articles for result in self.summarise([article])]

    def _summarise_batch(self, articles: list[Article]) -> list[Result]:
        warnings = [list(article.warnings) + self.notices for article in articles]
        timings: list[dict] = [{} for _ in articles]
        summaries_it, summaries_en = self._italian(articles, warnings, timings)
        if self.instruct and "en" in self.options.languages:
            summaries_en = self._timed_share(
                timings, "summarise_en_s", lambda: self._generate_long(articles, warnings, "prompt_en")
            )
        elif self.translator is not None:
            summaries_en = self._timed_share(timings, "translate_en_s", lambda: self._translate(summaries_it))
        return [
            Result(
                id=article.id,
                status="ok",
                summary_it=summaries_it[i] if "it" in self.options.languages else None,
                summary_en=summaries_en[i],
                method=self.method,
                model=self.provenance(),
                warnings=warnings[i],
                timings=timings[i],
            )
            for i, article in enumerate(articles)
        ]

    def _italian(self, articles, warnings, timings) -> tuple[list[str], list[str | None]]:
        none: list[str | None] = [None] * len(articles)
        if self.summariser is None:
            method = self.options.method or "extractive"
            summaries = self._timed_share(
                timings,
                "summarise_it_s",
                lambda: [
                    extractive.summarise(a.sentences, method, self.options.words, a.title) for a in articles
                ],
            )
            return summaries, none
        prompt = "prompt_it" if self.instruct else None
        summaries = self._timed_share(
            timings, "summarise_it_s", lambda: self._generate_long(articles, warnings, prompt)
        )
        return summaries, none

    @staticmethod
    def _timed_share(timings: list[dict], key: str, work):
        """Run batched work; each article's timing is its equal share of the batch's wall time."""
        started = time.perf_counter()
        value = work()
        share = (time.perf_counter() - started) / max(len(timings), 1)
        for timing in timings:
            timing[key] = round(share, 4)
        return value

    def _generate_long(
        self, articles: list[Article], warnings: list[list[str]], prompt: str | None
    ) -> list[str]:
        """Summaries by the seq2seq model, handling articles past its input limit per `--long`."""
        model = self.summariser
        template = getattr(model.preset, prompt) if prompt else "{text}"
        texts = [template.format(text=" ".join(a.sentences)) for a in articles]
        if self.options.long == "chunk":
            return [self._chunked(article, template) for article in articles]
        outputs = model.generate(texts)
        for output, article_warnings in zip(outputs, warnings, strict=True):
            if output.truncated:
                article_warnings.append(
                    f"article truncated to the model's {model.max_input_tokens} input tokens "
                    f"(it has {output.input_tokens}); --long chunk summarises all of it"
                )
        return [output.text for output in outputs]

    def _chunked(self, article: Article, template: str) -> str:
        """Summarise consecutive sentence chunks that fit the model, then summarise their summaries."""
        model = self.summariser
        budget = model.max_input_tokens - model.count_tokens([template.format(text="")])[0]
        chunks = sentence_chunks(article.sentences, model.count_tokens(article.sentences), budget)
        if len(chunks) == 1:
            return model.generate([template.format(text=chunks[0])])[0].text
        partial = [output.text for output in model.generate([template.format(text=c) for c in chunks])]
        return model.generate([template.format(text=" ".join(partial))])[0].text

    def _translate(self, summaries: list[str]) -> list[str]:
        """Sentence by sentence: opus-mt and NLLB are trained on sentences, and the batches even out."""
        from itnews.ingest import split_sentences

        split = [split_sentences(summary) for summary in summaries]
        flat = [sentence for sentences in split for sentence in sentences]
        translated = iter(output.text for output in self.translator.generate(flat))
        return [" ".join(next(translated) for _ in sentences) for sentences in split]


def sentence_chunks(sentences: list[str], token_counts: list[int], budget: int) -> list[str]:
    """Consecutive sentences joined into chunks of at most ``budget`` tokens (a longer single
    sentence forms a chunk of its own and is truncated by the model)."""
    chunks: list[list[str]] = [[]]
    used = 0
    for sentence, tokens in zip(sentences, token_counts, strict=True):
        if chunks[-1] and used + tokens > budget:
            chunks.append([])
            used = 0
        chunks[-1].append(sentence)
        used += tokens
    return [" ".join(chunk) for chunk in chunks if chunk]
