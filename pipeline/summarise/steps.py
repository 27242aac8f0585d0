"""Summarise: the steps that write an Italian and an English summary of each record.

The Italian summary comes from a seq2seq summariser (a preset, hub id or directory) or from the
embedded extractive summariser; the English one from an instruction model prompted in English,
or by translating the Italian summary sentence by sentence with an it->en model. With no model
asked for, the `[defaults]` presets are used when they are in the local cache, and otherwise the
extractive summariser, saying so in the warnings. `summary_steps` chooses and loads the models
once; the steps then run on many batches.
"""

from __future__ import annotations

from dataclasses import dataclass

from itnews.core.record import Record
from itnews.core.steps import Step
from itnews.facts.guard import GUARD_MODES, Guard, most_faithful
from itnews.summarise import extractive
from itnews.summarise.seq2seq import LoadedModel, Seq2SeqModel

LONG_MODES = ("truncate", "chunk")
BACKENDS = ("torch", "ctranslate2")


@dataclass
class SummaryOptions:
    method: str | None = None  # an extractive method; None lets `model` (or the defaults) decide
    model: str | None = None  # preset, hub id or directory; None: the default preset if cached
    translator: str | None = None  # likewise, for it->en
    words: int = extractive.DEFAULT_WORDS
    languages: tuple[str, ...] = ("it", "en")
    device: str = "auto"
    long: str = "truncate"  # past the model's input limit: truncate, or chunk and summarise again
    quantize: bool = False  # int8 weights on CPU: torch's dynamic quantization, CTranslate2's int8
    backend: str = "torch"  # what runs the seq2seq models: torch, or ctranslate2 (converted once)
    compute_type: str | None = None  # ctranslate2 only: int8, int8_float32, bfloat16...; None: the preset's
    guard: str = "flag"  # the faithfulness guard: flag, off, or rerank (itnews.facts.guard)

    def __post_init__(self):
        if self.method is not None and self.method not in extractive.METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(extractive.METHODS)}")
        if self.long not in LONG_MODES:
            raise ValueError(f"--long must be one of {', '.join(LONG_MODES)}")
        if self.method is not None and self.model is not None:
            raise ValueError("--method picks an extractive method and --model a seq2seq model: give one")
        if not self.languages or not set(self.languages) <= {"it", "en"}:
            raise ValueError("--lang takes a comma-separated subset of it,en")
        if self.guard not in GUARD_MODES:
            raise ValueError(f"--guard must be one of {', '.join(GUARD_MODES)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}")
        if self.compute_type is not None and self.backend != "ctranslate2":
            raise ValueError("--compute-type is for --backend ctranslate2 (torch: --quantize for int8)")
        if self.quantize and self.compute_type not in (None, "int8"):
            raise ValueError(f"--quantize means --compute-type int8, not {self.compute_type}: give one")
        if self.quantize and self.backend == "ctranslate2":
            self.compute_type = "int8"

    def load(self, name: str, task: str) -> LoadedModel:
        """A seq2seq model by the chosen backend (ModelUnavailable when it cannot be loaded)."""
        if self.backend == "ctranslate2":
            from itnews.summarise.ctranslate2_model import CTranslate2Model

            return CTranslate2Model.load(name, task, self.device, self.compute_type)
        return Seq2SeqModel.load(name, task, self.device, self.quantize)


def summary_steps(options: SummaryOptions) -> list[Step]:
    """Summarise, then translate when English is asked for and no instruction model writes it, keep
    the languages asked for, and check the summaries' facts against the article (unless the guard
    is off). Loads the models (ModelUnavailable when one cannot be)."""
    from itnews.summarise.presets import is_cached, load_presets

    presets, defaults = load_presets()

    def choose(requested: str | None, role: str) -> str | None:
        if requested is not None:
            return requested
        default = defaults.get(role)
        return default if default and is_cached(presets[default].hub_id) else None

    notices: list[str] = []
    summariser = None
    if options.method is None:
        name = choose(options.model, "summariser")
        if name is not None:
            summariser = options.load(name, "summarise")
        else:
            default = defaults.get("summariser")
            notices.append(
                f"Italian summary by the embedded extractive summariser: the default model "
                f"{default} is not downloaded (`itnews models pull {default}` on a connected "
                "machine, or --model DIR)"
            )
    steps: list[Step] = [Summarise(summariser, options, notices)]
    if "en" in options.languages and not (summariser and summariser.preset.task == "instruct"):
        name = choose(options.translator, "translator")
        if name is not None:
            steps.append(Translate(options.load(name, "translate")))
        else:
            notices.append(
                "no English summary: no translation model available (`itnews models pull "
                f"{defaults.get('translator')}` on a connected machine, then --translator "
                f"{defaults.get('translator')}, or --translator DIR for a local model)"
            )
    if "it" not in options.languages:
        steps.append(DropItalian())
    if options.guard != "off":
        steps.append(Guard())
    return steps


class Summarise(Step):
    """The Italian summary (and the English one, for an instruction model), with provenance.
    ``notices`` are run-wide warnings, copied into every record."""

    timing_key = "summarise_it_s"

    def __init__(self, model: LoadedModel | None, options: SummaryOptions, notices: list[str]):
        self.model, self.options, self.notices = model, options, notices
        self.method = options.method or ("seq2seq" if model else "extractive")
        self.instruct = model is not None and model.preset.task == "instruct"
        self.loads_model = model is not None

    def provenance(self) -> dict:
        if self.model is None:
            summariser = {"name": f"itnews-{self.method}", "words": self.options.words}
            return {"device": "cpu", "summariser": summariser}
        return {"device": self.model.device, "summariser": self.model.provenance()}

    def process(self, records: list[Record]) -> None:
        warnings: list[list[str]] = [[] for _ in records]
        summaries_en: list[str | None] = [None] * len(records)
        if self.model is None:
            method = self.options.method or "extractive"
            words = self.options.words
            summaries_it = [
                extractive.summarise(r.sentences, method, words, r.title, r.headings) for r in records
            ]
        else:
            summaries_it = self.generate(records, warnings, "prompt_it" if self.instruct else None)
            if self.instruct and "en" in self.options.languages:
                summaries_en = self.generate(records, warnings, "prompt_en")
        provenance = self.provenance()
        for i, record in enumerate(records):  # nothing is written to a record until all succeeded
            record.summary_it, record.summary_en, record.method = (
                summaries_it[i],
                summaries_en[i],
                self.method,
            )
            record.model = dict(provenance)
            record.warnings += self.notices + warnings[i]

    def generate(self, records: list[Record], warnings: list[list[str]], prompt: str | None) -> list[str]:
        """Summaries by the seq2seq model, handling articles past its input limit per ``--long``."""
        model = self.model
        template = getattr(model.preset, prompt) if prompt else "{text}"
        if self.options.long == "chunk":
            return [self.chunked(record, template) for record in records]
        rerank = self.options.guard == "rerank" and prompt != "prompt_en"  # the guard checks Italian facts
        outputs = model.generate(
            [template.format(text=" ".join(r.sentences)) for r in records], candidates=rerank
        )
        for output, record_warnings in zip(outputs, warnings, strict=True):
            if output.truncated:
                record_warnings.append(
                    f"article truncated to the model's {model.max_input_tokens} input tokens "
                    f"(it has {output.input_tokens}); --long chunk summarises all of it"
                )
        if rerank:
            return [
                most_faithful(output.candidates, record)
                for output, record in zip(outputs, records, strict=True)
            ]
        return [output.text for output in outputs]

    def chunked(self, record: Record, template: str) -> str:
        """Summarise consecutive sentence chunks that fit the model, then summarise their summaries."""
        model = self.model
        budget = model.max_input_tokens - model.count_tokens([template.format(text="")])[0]
        chunks = sentence_chunks(record.sentences, model.count_tokens(record.sentences), budget)
        if len(chunks) == 1:
            return model.generate([template.format(text=chunks[0])])[0].text
        partial = [output.text for output in model.generate([template.format(text=c) for c in chunks])]
        return model.generate([template.format(text=" ".join(partial))])[0].text


class Translate(Step):
    """The English summary: the Italian one translated sentence by sentence. opus-mt and NLLB are
    trained on sentences, and sentences of many records even out into full batches."""

    timing_key = "translate_en_s"
    loads_model = True

    def __init__(self, model: LoadedModel):
        self.model = model

    def process(self, records: list[Record]) -> None:
        from itnews.ingest.sentences import split_sentences

        split = [split_sentences(record.summary_it or "") for record in records]
        flat = [sentence for sentences in split for sentence in sentences]
        translated = iter(output.text for output in self.model.generate(flat))
        summaries = [" ".join(next(translated) for _ in sentences) for sentences in split]
        provenance = self.model.provenance()
        for record, summary in zip(records, summaries, strict=True):
            record.summary_en = summary
            record.model = {**record.model, "translator": provenance}


class DropItalian(Step):
    """``--lang en``: the Italian summary was needed to translate, not to keep."""

    def process(self, records: list[Record]) -> None:
        for record in records:
            record.summary_it = None


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
