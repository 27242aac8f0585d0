"""The ways through the articles that `itnews bench` times: the model card's loop, the pipeline's
batch path (on either backend), and CTranslate2 used directly; and what each cost (`measure`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PathRun:
    """One way through the articles: the output text compared per article, and what it cost."""

    outputs: list[str]
    latencies: list[float]
    seconds: float
    tokens: int
    peak_rss_mb: float
    peak_gpu_mb: float | None


def measure(run: Callable[[], tuple[list[str], list[float]]], forcer, device: str) -> PathRun:
    forcer.tokens = 0
    with PeakMemory(device) as peak:
        started = time.perf_counter()
        outputs, latencies = run()
        seconds = time.perf_counter() - started
    return PathRun(outputs, latencies, seconds, forcer.tokens, peak.rss_mb, peak.gpu_mb)


def model_card_loop(seq2seq, role: str, paths: list[Path]) -> tuple[list[str], list[float]]:
    """Per article, and per sentence for translation: tokenize, ``model.generate``, decode."""
    from itnews.ingest.clean import read_article

    tokenizer, model, preset = seq2seq.tokenizer, seq2seq.model, seq2seq.preset
    settings = seq2seq.generation_settings

    def generate(text: str) -> str:
        inputs = tokenizer(
            preset.prefix + text, return_tensors="pt", truncation=True, max_length=seq2seq.max_input_tokens
        ).to(seq2seq.device)
        return tokenizer.decode(model.generate(**inputs, **settings)[0], skip_special_tokens=True).strip()

    outputs, latencies = [], []
    for path in paths:
        started = time.perf_counter()
        texts = model_inputs(read_article(str(path)), role, preset)
        outputs.append(joined(role, [generate(text) for text in texts]))
        latencies.append(time.perf_counter() - started)
    return outputs, latencies


def model_inputs(article, role: str, preset) -> list[str]:
    """What a model card feeds the model for one article: the article's text; both prompts (instruct);
    or the sentences of its embedded extractive summary, one by one (translate)."""
    from itnews.ingest.sentences import split_sentences
    from itnews.summarise import extractive

    text = " ".join(article.sentences)
    if role == "translate":
        return split_sentences(
            extractive.summarise(article.sentences, headline=article.title, headings=article.headings)
        )
    if role == "instruct":
        return [preset.prompt_it.format(text=text), preset.prompt_en.format(text=text)]
    return [text]


def joined(role: str, outputs: list[str]) -> str:
    """One article's outputs as the pipeline writes them: translated sentences form one summary."""
    return (" " if role == "translate" else "\n").join(outputs)


def pipeline_steps(seq2seq, role: str) -> list:
    """The pipeline's own steps around the in-memory model, as `summary_steps` would chain them."""
    from itnews.summarise.steps import Summarise, SummaryOptions, Translate

    if role == "translate":  # behind the embedded extractive Italian summary
        return [Summarise(None, SummaryOptions(method="extractive"), []), Translate(seq2seq)]
    languages = ("it",) if role == "summarise" else ("it", "en")
    return [Summarise(seq2seq, SummaryOptions(languages=languages), [])]


def ctranslate2_direct(model, role: str, paths: list[Path]) -> tuple[list[str], list[float]]:
    """CTranslate2 as its documentation shows it, without the pipeline: read each article, tokenize
    every text to translate with the model's tokenizer, ``translate_batch`` them 32 at a time sorted by
    length (what ``max_batch_size=32`` does inside CTranslate2; done here so that forced lengths apply
    per batch, as on the batch path), decode. Every article's latency is the whole run's."""
    from itnews.ingest.clean import read_article

    started = time.perf_counter()
    preset, tokenizer = model.preset, model.tokenizer
    texts = [model_inputs(read_article(str(path)), role, preset) for path in paths]
    flat = [preset.prefix + text for article_texts in texts for text in article_texts]
    encoded = tokenizer(flat, truncation=True, max_length=model.max_input_tokens)["input_ids"]
    sources = [tokenizer.convert_ids_to_tokens(ids) for ids in encoded]
    settings = model.generation_settings
    options, prefix = model.search_options(settings, False), model.target_prefix(settings)
    decoded: list[str] = [""] * len(sources)
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    for start in range(0, len(order), 32):
        batch = order[start : start + 32]
        results = model.translator.translate_batch(
            [sources[i] for i in batch], target_prefix=[prefix] * len(batch) if prefix else None, **options
        )
        for i, result in zip(batch, results, strict=True):
            decoded[i] = model.decode(result.hypotheses[0])
    outputs, position = [], 0
    for article_texts in texts:
        outputs.append(joined(role, decoded[position : position + len(article_texts)]))
        position += len(article_texts)
    return outputs, [time.perf_counter() - started] * len(paths)


def batch_path(steps: list, role: str, paths: list[Path], device: str) -> tuple[list[str], list[float]]:
    """The local runner over the articles in full model batches; an article's latency is its batch's
    (the time since the batch before it was written)."""
    from itnews.core.runner import Collect, run
    from itnews.core.sources import file_record
    from itnews.ingest.clean import Clean
    from itnews.summarise.seq2seq import MAX_BATCH_SIZE

    records = [file_record(str(path), str(number)) for number, path in enumerate(paths)]  # paths repeat
    collected = Collect()
    run(records, [Clean(), *steps], collected, batch_size=MAX_BATCH_SIZE[device.split(":")[0]])
    outputs = []
    for record in sorted(collected.records, key=lambda r: int(r.id)):
        if not record.ok:
            raise RuntimeError(record.error)
        outputs.append(
            {"summarise": record.summary_it, "translate": record.summary_en}.get(
                role, f"{record.summary_it}\n{record.summary_en}"
            )
        )
    return outputs, collected.latencies


class PeakMemory:
    """Highest resident set size (and CUDA allocation) while the block runs, sampled every 10 ms."""

    def __init__(self, device: str):
        self.device = device
        self.rss_mb = 0.0
        self.gpu_mb: float | None = None
        self._done = threading.Event()

    def __enter__(self) -> PeakMemory:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(self.device)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        import psutil

        process = psutil.Process()
        while True:
            self.rss_mb = max(self.rss_mb, process.memory_info().rss / 2**20)
            if self._done.wait(0.01):
                return

    def __exit__(self, *exc) -> None:
        import torch

        self._done.set()
        self._thread.join()
        self.rss_mb = round(self.rss_mb, 1)
        if self.device.startswith("cuda"):
            self.gpu_mb = round(torch.cuda.max_memory_allocated(self.device) / 2**20, 1)
