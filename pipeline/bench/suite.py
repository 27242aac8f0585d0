"""`itnews bench`: articles/s of ways to run each preset against the generate loop of a model card.

Nothing is downloaded: each preset runs as its exact architecture with random weights and forced
output lengths (`itnews.bench.stand_ins`), so the work equals a real model's.

What is timed, per preset role, from reading the article files on:

- summarise: ingest, Italian summary;
- translate: ingest, the embedded extractive Italian summary, its translation sentence by sentence
  (real Italian summary sentences, as a translator sees them behind any summariser);
- instruct: ingest, both prompted summaries.

Per preset, in one process, on the same weights, articles and forced lengths: first the loop a model
card shows (per article, and per sentence for translation: tokenize, ``model.generate``, decode),
then each `BenchRun`: the pipeline's own steps and local runner (`batch_path`, as `itnews batch` runs
them) on torch or CTranslate2, or CTranslate2 used directly (`ctranslate2_direct`). Every run's
outputs are compared with the loop's.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from itnews.bench.paths import (
    PathRun,
    batch_path,
    ctranslate2_direct,
    measure,
    model_card_loop,
    pipeline_steps,
)
from itnews.bench.stand_ins import (
    CorpusTokenizer,
    CTranslate2LengthForcer,
    LengthForcer,
    build_model,
    summary_lengths,
    train_pieces,
    translation_lengths,
)
from itnews.core.record import InputError
from itnews.summarise.presets import Preset


@dataclass(frozen=True)
class BenchRun:
    """One way to run a preset's model, timed against the model-card loop: the pipeline's batch path
    on torch (in the preset's dtype, cast, or int8) or on CTranslate2 (a compute type), or CTranslate2
    used directly, as its documentation shows, without the pipeline."""

    backend: str  # torch | ctranslate2 | ctranslate2-direct
    dtype: str | None = None  # torch: bfloat16, float16, float32 or int8; CTranslate2: a compute type

    @classmethod
    def parse(cls, text: str) -> BenchRun:
        backend, _, dtype = text.partition(":")
        if backend not in ("torch", "ctranslate2", "ctranslate2-direct"):
            raise ValueError(f"{text}: the backend is torch, ctranslate2 or ctranslate2-direct")
        if backend == "torch" and dtype not in ("", *TORCH_DTYPES):
            raise ValueError(f"{text}: torch runs in {', '.join(TORCH_DTYPES)}")
        return cls(backend, dtype or None)

    @property
    def mutates(self) -> bool:  # a cast or quantized torch model is built afresh, after the others
        return self.backend == "torch" and self.dtype is not None


TORCH_DTYPES = ("float32", "bfloat16", "float16", "int8")


@dataclass
class BenchResult:
    """One run of one preset; ``baseline_*`` are the model-card loop's (torch, the preset's dtype)."""

    preset: str
    role: str  # summarise | translate | instruct
    backend: str  # torch | ctranslate2 | ctranslate2-direct
    dtype: str  # torch dtype (+ int8 linear) or CTranslate2 compute type
    device: str
    articles: int
    articles_per_s: float
    baseline_articles_per_s: float
    speedup: float
    agreement: float  # fraction of articles whose output text equals the loop's
    token_agreement: float  # fraction of output tokens equal to the loop's, position by position
    tokens_per_s: float  # forced output tokens (per output, not per beam)
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
    threads: int
    load_average: float  # the machine's 1-minute load when the run started: others' work skews timings
    decoded_past_forced: int = 0  # CTranslate2: tokens decoded past an output's forced length, then cut
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def bench(
    names: list[str],
    articles: int,
    device: str = "cpu",
    runs: list[BenchRun] | None = None,
    *,
    greedy: bool = False,
    tiny: bool = False,
    corpus: str = "corpus/articles",
) -> Iterator[BenchResult]:
    """Each preset's runs (default: torch in the preset's dtype) as soon as each is measured, on the
    article files in ``corpus``. ``greedy`` decodes with one beam everywhere (the preset's beam search
    otherwise); ``tiny`` shrinks the architectures (tests)."""
    from itnews.summarise.presets import load_presets
    from itnews.summarise.seq2seq import resolve_device

    presets, _ = load_presets()
    device = resolve_device(device)
    chosen, pieces = corpus_sample(corpus, articles)
    for name in names:
        preset = greedy_preset(presets[name]) if greedy else presets[name]
        yield from bench_preset(preset, chosen, pieces, device, runs or [BenchRun("torch")], tiny)


def corpus_sample(corpus: str, articles: int) -> tuple[list[Path], object]:
    """``articles`` article files of the folder ``corpus`` (cycled through as needed), and the
    SentencePiece model trained on all its sentences that stands in for the presets' tokenizers."""
    from itnews.core.files import ARTICLE_SUFFIXES
    from itnews.ingest.clean import read_article

    folder = Path(corpus)
    paths = sorted(p for p in folder.iterdir() if p.suffix in ARTICLE_SUFFIXES) if folder.is_dir() else []
    if not paths:
        raise InputError(corpus, "no article files (.txt, .html) to time; give a folder with --corpus")
    pieces = train_pieces([s for path in paths for s in read_article(str(path)).sentences])
    return list(itertools.islice(itertools.cycle(paths), articles)), pieces


BEAM_SEARCH_SETTINGS = ("num_beams", "early_stopping", "length_penalty", "num_return_sequences")


def greedy_preset(preset: Preset) -> Preset:
    """The preset decoding with one beam; its other settings (no_repeat_ngram_size...) kept."""
    import dataclasses

    settings = {k: v for k, v in preset.generate.items() if k not in BEAM_SEARCH_SETTINGS}
    return dataclasses.replace(preset, generate=settings | {"num_beams": 1})


def bench_preset(
    preset: Preset, paths: list[Path], pieces, device: str, runs: list[BenchRun], tiny: bool
) -> Iterator[BenchResult]:
    """The loop once, then each run on the same weights, articles and forced lengths."""
    import gc
    import tempfile

    gc.collect()  # the previous preset's model is in a reference cycle (`LengthForcer`): free it first
    model, notes = build_model(preset, tiny)
    seq2seq = torch_model(preset, model, pieces, device)
    lengths = translation_lengths(preset) if preset.task == "translate" else summary_lengths
    forcer = LengthForcer(model, lengths)
    loop = measure(functools.partial(model_card_loop, seq2seq, preset.task, paths), forcer, device)
    figures = Figures(preset, paths, loop, pieces, sum(p.numel() for p in model.parameters()), notes)
    with tempfile.TemporaryDirectory(prefix="itnews-bench-") as converted:
        for run in sorted(runs, key=lambda run: run.mutates):  # CTranslate2 converts the pristine weights
            load_average = os.getloadavg()[0]
            loaded, timed = seq2seq, forcer
            if run.mutates:
                model, _ = build_model(preset, tiny)  # seeded: the same weights again
                loaded = torch_model(preset, model, pieces, device, run.dtype)
                timed = LengthForcer(model, lengths)
            elif run.backend != "torch":
                loaded = ctranslate2_model(seq2seq, Path(converted), device, run.dtype)
                timed = CTranslate2LengthForcer(loaded, lengths)
            if run.backend == "ctranslate2-direct":
                timing = functools.partial(ctranslate2_direct, loaded, preset.task, paths)
            else:
                steps = pipeline_steps(loaded, preset.task)
                timing = functools.partial(batch_path, steps, preset.task, paths, device)
            measured = measure(timing, timed, device)
            yield figures.result(run.backend, loaded, measured, load_average, getattr(timed, "wasted", 0))


WARM_UP = ["Il governo ha approvato la legge."]  # generated before timing: first-call allocations


def torch_model(preset: Preset, model, pieces, device: str, dtype: str | None = None):
    """The random-weight model on torch, cast to ``dtype`` or quantized (int8), warmed up."""
    from itnews.summarise.seq2seq import Seq2SeqModel

    source = f"random weights, models/{preset.config}"
    seq2seq = Seq2SeqModel(preset, CorpusTokenizer(pieces, model), model, source, None, device)
    if dtype == "int8":
        seq2seq.quantize()
    elif dtype:
        seq2seq.cast(dtype)
    seq2seq.generate(WARM_UP, max_new_tokens=2)
    return seq2seq


def ctranslate2_model(seq2seq, folder: Path, device: str, compute_type: str | None):
    """The random-weight model converted once into ``folder``, loaded in ``compute_type``."""
    from itnews.summarise.ctranslate2_model import (
        CTranslate2Model,
        check_compute_type,
        cuda_devices,
        require_ctranslate2,
        write_converted,
    )
    from itnews.summarise.seq2seq import resolve_device

    preset = seq2seq.preset
    require_ctranslate2(preset.name)
    if not (folder / "model").is_dir():
        write_converted(seq2seq.model, seq2seq.tokenizer, folder / "model")
    device = resolve_device(device, cuda_devices)
    compute_type = compute_type or preset.dtype.get(device.split(":")[0], "float32")
    check_compute_type(preset.name, compute_type, device)
    model = CTranslate2Model(
        preset, seq2seq.tokenizer, folder / "model", seq2seq.source, None, device, compute_type
    )
    model.generate(WARM_UP, max_new_tokens=2)
    return model


@dataclass
class Figures:
    """What every run of a preset is compared with: the loop's figures and outputs."""

    preset: Preset
    paths: list[Path]
    loop: PathRun
    pieces: object
    parameters: int
    notes: list[str]

    def result(self, backend: str, loaded, run: PathRun, load_average: float, wasted: int) -> BenchResult:
        import torch

        loop, n = self.loop, len(self.paths)
        return BenchResult(
            preset=self.preset.name,
            role=self.preset.task,
            backend=backend,
            dtype=loaded.dtype_name,
            device=loaded.device,
            articles=n,
            articles_per_s=round(n / run.seconds, 4),
            baseline_articles_per_s=round(n / loop.seconds, 4),
            speedup=round(loop.seconds / run.seconds, 2),
            agreement=round(sum(a == b for a, b in zip(run.outputs, loop.outputs, strict=True)) / n, 4),
            token_agreement=round(token_agreement(run.outputs, loop.outputs, self.pieces), 4),
            tokens_per_s=round(run.tokens / run.seconds, 1),
            baseline_tokens_per_s=round(loop.tokens / loop.seconds, 1),
            p50_s=percentile(run.latencies, 50),
            p95_s=percentile(run.latencies, 95),
            baseline_p50_s=percentile(loop.latencies, 50),
            baseline_p95_s=percentile(loop.latencies, 95),
            peak_rss_mb=run.peak_rss_mb,
            baseline_peak_rss_mb=loop.peak_rss_mb,
            peak_gpu_mb=run.peak_gpu_mb,
            baseline_peak_gpu_mb=loop.peak_gpu_mb,
            parameters_m=round(self.parameters / 1e6, 1),
            num_beams=loaded.generation_settings.get("num_beams", 1),
            threads=torch.get_num_threads(),
            load_average=round(load_average, 2),
            decoded_past_forced=wasted,
            notes=self.notes,
        )


def token_agreement(outputs: list[str], reference: list[str], pieces) -> float:
    """Tokens equal at the same position, over the longer output's tokens: random weights make near
    ties, and one flipped token early in an output changes the whole text but not this figure."""
    same = total = 0
    for output, expected in zip(outputs, reference, strict=True):
        a, b = pieces.encode(output), pieces.encode(expected)
        same += sum(x == y for x, y in zip(a, b, strict=False))
        total += max(len(a), len(b))
    return same / total if total else 1.0


def percentile(values: list[float], q: int) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 3)
