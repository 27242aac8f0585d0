"""`itnews bench`: articles/s of the pipeline's batch path against the generate loop of a model card.

Nothing is downloaded: each preset runs as its exact architecture with random weights and forced
output lengths (`itnews.random_models`), so the work equals a real model's.

What is timed, per preset role, from reading the article files on:

- summarise: ingest, Italian summary;
- translate: ingest, the embedded extractive Italian summary, its translation sentence by sentence
  (real Italian summary sentences, as a translator sees them behind any summariser);
- instruct: ingest, both prompted summaries.

Each preset runs twice in one process, on the same model and articles: through the pipeline's own
steps and local runner (`batch_path`, as `itnews batch` runs them) and through the loop a model
card shows (per article, and per sentence for translation: tokenize, ``model.generate``, decode).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from itnews.presets import Preset
from itnews.random_models import (
    CorpusTokenizer,
    LengthForcer,
    build_model,
    summary_lengths,
    train_pieces,
    translation_lengths,
)
from itnews.record import InputError


@dataclass
class PathRun:
    """One way through the articles: the output text compared per article, and what it cost."""

    outputs: list[str]
    latencies: list[float]
    seconds: float
    tokens: int
    peak_rss_mb: float
    peak_gpu_mb: float | None


@dataclass
class BenchResult:
    """One preset's figures; ``baseline_*`` are the model-card loop's."""

    preset: str
    role: str  # summarise | translate | instruct
    device: str
    articles: int
    articles_per_s: float
    baseline_articles_per_s: float
    speedup: float
    agreement: float  # fraction of articles whose output text equals the loop's
    tokens_per_s: float  # generated tokens (per output, not per beam)
    baseline_tokens_per_s: float
    p50_s: float
    p95_s: float
    baseline_p50_s: float
    baseline_p95_s: float
    peak_rss_mb: float
    baseline_peak_rss_mb: float
    peak_gpu_mb: float | None
    baseline_peak_gpu_mb: float | None
    parameters_m: float
    num_beams: int
    dtype: str
    quantized: bool
    threads: int
    load_average: float  # the machine's 1-minute load when the preset started: others' work skews timings
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def bench(
    names: list[str],
    articles: int,
    device: str = "cpu",
    quantize: bool = False,
    *,
    greedy: bool = False,
    tiny: bool = False,
    corpus: str = "corpus/articles",
    dtype: str | None = None,
) -> Iterator[BenchResult]:
    """Each preset's result as soon as it is measured, on the article files in ``corpus``.
    ``greedy`` decodes with one beam on both paths (the preset's beam search otherwise); ``tiny``
    shrinks the architectures (tests); ``dtype`` casts the batch path's model (the loop stays in the
    preset's dtype), so that the agreement says what the cast changes."""
    from itnews.ingest import ARTICLE_SUFFIXES, read_article
    from itnews.presets import load_presets
    from itnews.seq2seq import resolve_device

    presets, _ = load_presets()
    device = resolve_device(device)
    folder = Path(corpus)
    paths = sorted(p for p in folder.iterdir() if p.suffix in ARTICLE_SUFFIXES) if folder.is_dir() else []
    if not paths:
        raise InputError(corpus, "no article files (.txt, .html) to time; give a folder with --corpus")
    pieces = train_pieces([s for path in paths for s in read_article(str(path)).sentences])
    chosen = list(itertools.islice(itertools.cycle(paths), articles))
    for name in names:
        preset = greedy_preset(presets[name]) if greedy else presets[name]
        yield bench_preset(preset, chosen, pieces, device, quantize, tiny, dtype)


BEAM_SEARCH_SETTINGS = ("num_beams", "early_stopping", "length_penalty", "num_return_sequences")


def greedy_preset(preset: Preset) -> Preset:
    """The preset decoding with one beam; its other settings (no_repeat_ngram_size...) kept."""
    import dataclasses

    settings = {k: v for k, v in preset.generate.items() if k not in BEAM_SEARCH_SETTINGS}
    return dataclasses.replace(preset, generate=settings | {"num_beams": 1})


def bench_preset(
    preset: Preset,
    paths: list[Path],
    pieces,
    device: str,
    quantize: bool,
    tiny: bool,
    dtype: str | None = None,
) -> BenchResult:
    import gc
    import os

    import torch

    from itnews.seq2seq import Seq2SeqModel

    gc.collect()  # the previous preset's model is in a reference cycle (`LengthForcer`): free it first
    load_average = os.getloadavg()[0]
    model, notes = build_model(preset, tiny)
    parameters = sum(p.numel() for p in model.parameters())
    role = preset.task
    source = f"random weights, models/{preset.config}"
    seq2seq = Seq2SeqModel(preset, CorpusTokenizer(pieces, model), model, source, None, device)
    seq2seq.generate(["Il governo ha approvato la legge."], max_new_tokens=2)  # first-call allocations
    forcer = LengthForcer(model, translation_lengths(preset) if role == "translate" else summary_lengths)
    loop = measure(lambda: model_card_loop(seq2seq, role, paths), forcer, device)
    if dtype:
        seq2seq.cast(dtype)
    if quantize:
        seq2seq.quantize()
    steps = pipeline_steps(seq2seq, role)
    batch = measure(lambda: batch_path(steps, role, paths, device), forcer, device)
    agreement = sum(a == b for a, b in zip(batch.outputs, loop.outputs, strict=True)) / len(paths)
    return BenchResult(
        preset=preset.name,
        role=role,
        device=device,
        articles=len(paths),
        articles_per_s=round(len(paths) / batch.seconds, 4),
        baseline_articles_per_s=round(len(paths) / loop.seconds, 4),
        speedup=round(loop.seconds / batch.seconds, 2),
        agreement=round(agreement, 4),
        tokens_per_s=round(batch.tokens / batch.seconds, 1),
        baseline_tokens_per_s=round(loop.tokens / loop.seconds, 1),
        p50_s=percentile(batch.latencies, 50),
        p95_s=percentile(batch.latencies, 95),
        baseline_p50_s=percentile(loop.latencies, 50),
        baseline_p95_s=percentile(loop.latencies, 95),
        peak_rss_mb=batch.peak_rss_mb,
        baseline_peak_rss_mb=loop.peak_rss_mb,
        peak_gpu_mb=batch.peak_gpu_mb,
        baseline_peak_gpu_mb=loop.peak_gpu_mb,
        parameters_m=round(parameters / 1e6, 1),
        num_beams=seq2seq.generation_settings.get("num_beams", 1),
        dtype=seq2seq.dtype_name,
        quantized=quantize,
        threads=torch.get_num_threads(),
        load_average=round(load_average, 2),
        notes=notes,
    )


def percentile(values: list[float], q: int) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 3)


# --- the two ways through the articles ----------------------------------------------------------


def measure(run: Callable[[], tuple[list[str], list[float]]], forcer: LengthForcer, device: str) -> PathRun:
    forcer.tokens = 0
    with PeakMemory(device) as peak:
        started = time.perf_counter()
        outputs, latencies = run()
        seconds = time.perf_counter() - started
    return PathRun(outputs, latencies, seconds, forcer.tokens, peak.rss_mb, peak.gpu_mb)


def model_card_loop(seq2seq, role: str, paths: list[Path]) -> tuple[list[str], list[float]]:
    """Per article, and per sentence for translation: tokenize, ``model.generate``, decode."""
    from itnews import extractive
    from itnews.clean import split_sentences
    from itnews.ingest import read_article

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
        article = read_article(str(path))
        text = " ".join(article.sentences)
        if role == "translate":
            italian = extractive.summarise(article.sentences, headline=article.title)
            outputs.append(" ".join(generate(sentence) for sentence in split_sentences(italian)))
        elif role == "instruct":
            prompts = (preset.prompt_it.format(text=text), preset.prompt_en.format(text=text))
            outputs.append("\n".join(generate(prompt) for prompt in prompts))
        else:
            outputs.append(generate(text))
        latencies.append(time.perf_counter() - started)
    return outputs, latencies


def pipeline_steps(seq2seq, role: str) -> list:
    """The pipeline's own steps around the in-memory model, as `summary_steps` would chain them."""
    from itnews.summarise import Summarise, SummaryOptions, Translate

    if role == "translate":  # behind the embedded extractive Italian summary
        return [Summarise(None, SummaryOptions(method="extractive"), []), Translate(seq2seq)]
    languages = ("it",) if role == "summarise" else ("it", "en")
    return [Summarise(seq2seq, SummaryOptions(languages=languages), [])]


def batch_path(steps: list, role: str, paths: list[Path], device: str) -> tuple[list[str], list[float]]:
    """The local runner over the articles in full model batches; an article's latency is its batch's
    (the time since the batch before it was written)."""
    from itnews.clean import Clean
    from itnews.ingest import file_record
    from itnews.runner import Collect, run
    from itnews.seq2seq import MAX_BATCH_SIZE

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
