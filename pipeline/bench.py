"""`itnews bench`: articles/s of the pipeline's batch path against the generate loop of a model card.

Real weights cannot be downloaded here, and throughput does not depend on them: each preset's exact
architecture (``models/configs/<preset>.json``) is built with seeded random weights, and its tokenizer
is stood in for by a SentencePiece model trained on the corpus (`CorpusTokenizer`). So that the work
equals a real model's, input and output lengths are set to what the real model would see and write:

- inputs: each text becomes ``TOKENS_PER_WORD`` tokens per word, cut to the preset's input limit;
- outputs are forced (`LengthForcer`): ``SUMMARY_TOKENS`` per summary, and ``TRANSLATION_RATIO`` times
  the source's tokens per translated sentence (a random model would otherwise stop at random).

What is timed, per preset role, from reading the article files on:

- summarise: ingest, Italian summary;
- translate: ingest, the embedded extractive Italian summary, its translation sentence by sentence
  (real Italian summary sentences, as a translator sees them behind any summariser);
- instruct: ingest, both prompted summaries.

Each preset runs twice in one process, on the same model and articles: through the pipeline's batch
path (`itnews.summarise.Summariser` on chunks of articles) and through the loop a model card shows
(per article, and per sentence for translation: tokenize, ``model.generate``, decode).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from itnews.presets import Preset

ARTICLES_DIR = Path(__file__).resolve().parent.parent / "corpus" / "articles"
SEED = 1234
# mBART's and NLLB's 250k SentencePiece vocabularies, opus-mt's 32k Italian one and BART-IT's 52k
# byte-level BPE all give 1.3-1.5 tokens per word of Italian news: punctuation and elisions (l', dell')
# are tokens of their own, and long or rare words split in two or three.
TOKENS_PER_WORD = 1.4
SUMMARY_TOKENS = 80  # the fanpage summarisers' mean output is 75 tokens
TRANSLATION_RATIO = 1.3  # English takes about as many tokens as Italian; 1.3 allows for the sentence's end
PIECES = 4000  # vocabulary of the corpus-trained SentencePiece model (smaller than every preset's)
ID_OFFSET = 5  # corpus pieces start past every family's low special ids (<s> <pad> </s> <unk> <mask>)
# Target-language tokens that presets force as first output token, at their ids in the real vocabularies.
LANGUAGE_IDS = {"en_XX": 250004, "eng_Latn": 256047}
# Widths and depths for `tiny` runs (tests): small enough to run in seconds, every other value kept.
TINY = {
    "d_model": 32,
    "d_kv": 16,
    "d_ff": 64,
    "num_layers": 1,
    "num_decoder_layers": 1,
    "num_heads": 2,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "num_hidden_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 64,
}


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
) -> Iterator[BenchResult]:
    """Each preset's result as soon as it is measured. ``greedy`` decodes with one beam on both paths
    (the preset's beam search otherwise); ``tiny`` shrinks the architectures (tests)."""
    from itnews.ingest import read_article
    from itnews.presets import load_presets
    from itnews.seq2seq import resolve_device

    presets, _ = load_presets()
    device = resolve_device(device)
    paths = corpus_paths()
    pieces = train_pieces([s for path in paths for s in read_article(str(path)).sentences])
    chosen = list(itertools.islice(itertools.cycle(paths), articles))
    for name in names:
        preset = greedy_preset(presets[name]) if greedy else presets[name]
        yield bench_preset(preset, chosen, pieces, device, quantize, tiny)


BEAM_SEARCH_SETTINGS = ("num_beams", "early_stopping", "length_penalty", "num_return_sequences")


def greedy_preset(preset: Preset) -> Preset:
    """The preset decoding with one beam; its other settings (no_repeat_ngram_size...) kept."""
    import dataclasses

    settings = {k: v for k, v in preset.generate.items() if k not in BEAM_SEARCH_SETTINGS}
    return dataclasses.replace(preset, generate=settings | {"num_beams": 1})


def corpus_paths() -> list[Path]:
    return sorted(p for p in ARTICLES_DIR.iterdir() if p.suffix in (".txt", ".html"))


def bench_preset(
    preset: Preset, paths: list[Path], pieces, device: str, quantize: bool, tiny: bool
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
    seq2seq = Seq2SeqModel.from_parts(
        preset, CorpusTokenizer(pieces, model), model, f"random weights, models/{preset.config}", device
    )
    seq2seq.generate(["Il governo ha approvato la legge."], max_new_tokens=2)  # first-call allocations
    forcer = LengthForcer(model, translation_lengths(preset) if role == "translate" else summary_lengths)
    loop = measure(lambda: model_card_loop(seq2seq, role, paths), forcer, device)
    if quantize:
        seq2seq.quantize()
    pipeline = pipeline_for(seq2seq, role)
    batch = measure(lambda: batch_path(pipeline, role, paths, device), forcer, device)
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


# --- the model ----------------------------------------------------------------------------------


def build_model(preset: Preset, tiny: bool = False):
    """The preset's architecture with seeded random weights (nothing downloaded), and notes on it."""
    import torch
    from itnews.presets import architecture_config
    from transformers import AutoConfig, AutoModelForSeq2SeqLM
    from transformers.utils import logging

    logging.set_verbosity_error()  # "generation flags are not valid" and similar, for the random model
    values = architecture_config(preset)
    if tiny:
        values |= {key: value for key, value in TINY.items() if key in values}
    config = AutoConfig.for_model(**values)
    torch.manual_seed(SEED)
    model = AutoModelForSeq2SeqLM.from_config(config, attn_implementation="sdpa")
    notes = []
    head, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    if values.get("tie_word_embeddings") is False and head.weight is embeddings.weight:
        # transformers 5 ties T5/mT5 embeddings whatever the config says; the published checkpoint has
        # its own LM head: same compute either way, but its memory counts.
        head.weight = torch.nn.Parameter(head.weight.detach().clone())
        notes.append(
            "transformers 5 ties T5/mT5 input and output embeddings even where the published config "
            f"says tie_word_embeddings=false; the LM head was untied ({head.weight.numel() / 1e6:.1f}M "
            "parameters) to match the checkpoint"
        )
    return model.eval(), notes


SPECIAL_IDS = ("bos_token_id", "pad_token_id", "eos_token_id", "decoder_start_token_id")


class CorpusTokenizer:
    """Stands in for a preset's tokenizer: SentencePiece pieces trained on the corpus, as ids of the
    big vocabulary (shifted past its special ids), each text cut or extended to the length the real
    tokenizer would give (``TOKENS_PER_WORD``), then </s>.

    It answers the calls `Seq2SeqModel` and the model-card loop make. Generated ids of the big
    vocabulary decode to pieces modulo the piece count, so every output is text."""

    def __init__(self, pieces, model):
        self.pieces = pieces
        config, generation = model.config, model.generation_config
        self.eos_token_id = config.eos_token_id
        self.pad_token_id = config.pad_token_id
        ids = {getattr(source, name, None) for source in (config, generation) for name in SPECIAL_IDS}
        self.special_ids = (ids | set(LANGUAGE_IDS.values())) - {None}

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        ids = [ID_OFFSET + piece for piece in self.pieces.encode(text)] or [ID_OFFSET]
        length = max(1, round(TOKENS_PER_WORD * len(text.split())))
        return list(itertools.islice(itertools.cycle(ids), length)) + [self.eos_token_id] * add_special_tokens

    def __call__(
        self,
        texts,
        *,
        add_special_tokens=True,
        return_tensors=None,
        padding=False,
        truncation=False,
        max_length=None,
    ):
        from transformers import BatchEncoding

        batch = [texts] if isinstance(texts, str) else texts
        encoded = [self.encode(text, add_special_tokens) for text in batch]
        if truncation and max_length:
            encoded = [ids[: max_length - 1] + ids[-1:] if len(ids) > max_length else ids for ids in encoded]
        longest = max(map(len, encoded)) if padding else 0
        data = {
            "input_ids": [ids + [self.pad_token_id] * (longest - len(ids)) for ids in encoded],
            "attention_mask": [[1] * len(ids) + [0] * (longest - len(ids)) for ids in encoded],
        }
        if isinstance(texts, str) and return_tensors is None:
            data = {key: value[0] for key, value in data.items()}
        return BatchEncoding(data, tensor_type=return_tensors)

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        size = self.pieces.get_piece_size()
        kept = [i for i in ids if not (skip_special_tokens and i in self.special_ids)]
        return self.pieces.decode([1 + (i - ID_OFFSET) % (size - 1) for i in kept])  # piece 0 is <unk>

    def batch_decode(self, sequences, skip_special_tokens: bool = False) -> list[str]:
        return [self.decode(ids, skip_special_tokens) for ids in sequences]

    def convert_tokens_to_ids(self, token: str) -> int:
        return LANGUAGE_IDS[token]


def train_pieces(texts: list[str]):
    """A SentencePiece model of the corpus sentences (a second or two), kept in memory."""
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=PIECES,
        hard_vocab_limit=False,  # a small corpus may not fill it
        character_coverage=1.0,
        unk_id=0,
        bos_id=-1,
        eos_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


# --- forced output lengths ----------------------------------------------------------------------


def summary_lengths(source_tokens: list[int]) -> list[int]:
    return [SUMMARY_TOKENS] * len(source_tokens)


def translation_lengths(preset: Preset) -> Callable[[list[int]], list[int]]:
    limit = preset.generate.get("max_new_tokens", 200)
    return lambda source_tokens: [min(limit, math.ceil(TRANSLATION_RATIO * n)) for n in source_tokens]


class LengthForcer:
    """Wraps ``model.generate`` (so the batch path and the loop alike go through it) so that each input
    yields exactly the number of new tokens ``lengths`` gives for its source length, the last one
    </s>; counts the generated tokens."""

    def __init__(self, model, lengths: Callable[[list[int]], list[int]]):
        self.lengths = lengths
        self.eos = model.generation_config.eos_token_id
        self.tokens = 0
        self._generate = model.generate
        model.generate = self.generate

    def generate(self, **kwargs):
        from transformers import LogitsProcessorList

        targets = self.lengths(kwargs["attention_mask"].sum(dim=1).tolist())
        self.tokens += sum(targets)
        forced = LogitsProcessorList([ForcedLengths(targets, self.eos)])
        return self._generate(**{**kwargs, "max_new_tokens": max(targets), "logits_processor": forced})


class ForcedLengths:
    """Logits processor: no </s> before an input's target length, nothing but </s> at it. Works for
    greedy and beam search alike (rows are the inputs' beams, in input order)."""

    def __init__(self, targets: list[int], eos: int):
        self.targets = targets
        self.eos = eos
        self.start: int | None = None

    def __call__(self, input_ids, scores):
        import torch

        if self.start is None:
            self.start = input_ids.shape[1]  # the decoder prompt
            beams = input_ids.shape[0] // len(self.targets)
            self.row_targets = torch.tensor(self.targets, device=scores.device).repeat_interleave(beams)
        step = input_ids.shape[1] - self.start + 1  # the new token's position
        scores[:, self.eos] = -math.inf
        if step in self.targets:
            ending = self.row_targets == step
            scores.masked_fill_(ending[:, None], -math.inf)
            scores[ending, self.eos] = 0.0
        return scores


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
    from itnews.ingest import read_article, split_sentences

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


def pipeline_for(seq2seq, role: str):
    """The pipeline's own Summariser around the in-memory model."""
    from itnews.summarise import Summariser, SummaryOptions

    if role == "translate":  # behind the embedded extractive Italian summary
        options = SummaryOptions(method="extractive", languages=("it", "en"))
        return Summariser.from_models(options, None, seq2seq)
    languages = ("it",) if role == "summarise" else ("it", "en")
    return Summariser.from_models(SummaryOptions(languages=languages), seq2seq, None)


def batch_path(summariser, role: str, paths: list[Path], device: str) -> tuple[list[str], list[float]]:
    """Chunks of one full model batch of articles: read, summarise; an article's latency is its chunk's."""
    from itnews.ingest import read_article
    from itnews.seq2seq import MAX_BATCH_SIZE

    chunk = MAX_BATCH_SIZE[device.split(":")[0]]
    outputs, latencies = [], []
    for start in range(0, len(paths), chunk):
        started = time.perf_counter()
        results = summariser.summarise([read_article(str(path)) for path in paths[start : start + chunk]])
        for result in results:
            if result.status != "ok":
                raise RuntimeError(f"{result.id}: {result.error}")
            outputs.append(
                {"summarise": result.summary_it, "translate": result.summary_en}.get(
                    role, f"{result.summary_it}\n{result.summary_en}"
                )
            )
        latencies += [time.perf_counter() - started] * len(results)
    return outputs, latencies


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
