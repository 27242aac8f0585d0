"""Seq2seq models: loading from the Hugging Face cache / hub / a local directory, and generation.

A model is named by a preset (`itnews.summarise.presets`), a hub id, or a local directory. Hub ids resolve
through the standard Hugging Face cache (``HF_HOME``, ``HF_HUB_OFFLINE``): the cache is tried first
without touching the network; only on a miss, and when not offline, is the hub asked. Everything
family-specific (language codes, forced first token, prompts, dtype, generation settings) comes
from the preset.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from itnews.summarise.loading import check_model_directory, loading
from itnews.summarise.presets import (
    ModelUnavailable,
    Preset,
    cached_revision,
    first_line,
    how_to_get,
    load_presets,
    preset_for,
)

# Batches are formed by length so that padding is small. A batch holds at most this many input tokens
# times beams (sequences x longest length x beams): the beams' cross-attention keys and values, the
# largest thing a batch keeps, grow with that product. On CPU, decoding reads every weight at every
# step whatever the batch, so larger batches keep paying off: 32 articles of 1,000 tokens decode
# greedily together, or 8 with 4 beams (eval/BENCHMARKS.md).
BATCH_TOKENS = {"cpu": 32768, "cuda": 262144}
MAX_BATCH_SIZE = {"cpu": 32, "cuda": 128}


def torch_cuda_devices() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_device(requested: str, cuda_devices: Callable[[], int] = torch_cuda_devices) -> str:
    """``auto`` is CUDA when present, else CPU; an explicit CUDA request must be satisfiable.
    ``cuda_devices`` counts the CUDA devices the backend sees (torch's by default)."""
    if requested == "cpu":
        return "cpu"
    kind, _, number = requested.partition(":")
    if requested != "auto" and not (kind == "cuda" and (number or "0").isdigit()):
        raise ModelUnavailable(requested, "device must be auto, cpu, cuda or cuda:N")
    count = cuda_devices()
    if requested == "auto":
        return "cuda" if count else "cpu"
    if not count:
        raise ModelUnavailable(requested, "CUDA was requested but no CUDA device is available")
    index = int(number or 0)
    if index >= count:
        raise ModelUnavailable(requested, f"no CUDA device {index} ({count} present)")
    return f"cuda:{index}"


@dataclass
class Generated:
    text: str
    input_tokens: int
    truncated: bool
    candidates: list[tuple[str, float]] = field(default_factory=list)  # (text, score), best first


class LoadedModel:
    """What every backend's model shares: the preset, the tokenizer, where the weights came from, the
    input limit, the generation settings and the provenance written on every record."""

    backend = ""

    def __init__(self, preset: Preset, tokenizer, source: str, revision: str | None, device: str, limit: int):
        self.tokenizer, self.preset = tokenizer, preset
        self.source, self.revision, self.device = source, revision, device
        if self.preset.source_lang and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = self.preset.source_lang
        # The preset's limit, unless the tokenizer or the position table says less.
        limits = [self.preset.max_input_tokens, getattr(self.tokenizer, "model_max_length", None), limit]
        self.max_input_tokens = min(limit for limit in limits if limit)

    @property
    def generation_settings(self) -> dict:
        settings = {
            k: v for k, v in self.preset.generate.items() if not (k == "no_repeat_ngram_size" and not v)
        }
        if self.preset.forced_bos_token:
            settings["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(
                self.preset.forced_bos_token
            )
        return settings

    def provenance(self) -> dict:
        return {
            "name": self.preset.name,
            "id": self.source,
            "revision": self.revision,
            "family": self.preset.family,
            "generation": self.generation_settings,
            "backend": self.backend,
            "device": self.device,
            "dtype": self.dtype_name,
        }

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=True)["input_ids"]]

    def output(self, candidates: list[tuple[str, float]], input_tokens: int, keep: bool) -> Generated:
        """One input's output: its best candidate's text, and all candidates when ``keep``."""
        return Generated(
            text=candidates[0][0],
            input_tokens=input_tokens,
            truncated=input_tokens > self.max_input_tokens,
            candidates=candidates if keep else [],
        )


def resolve_spec(spec: str, task: str) -> tuple[Preset | None, str]:
    """The preset named ``spec`` (None for a hub id or directory) and where its weights live."""
    presets, _ = load_presets()
    preset = presets.get(spec)
    if preset is not None and task != "instruct" and preset.task not in (task, "instruct"):
        raise ModelUnavailable(spec, f"preset is a {preset.task} model, not usable to {task}")
    return preset, preset.hub_id if preset else spec


class Seq2SeqModel(LoadedModel):
    """A loaded model and tokenizer with the preset's settings; generates in length-sorted batches.

    `load` reads one by name (preset, hub id or directory); the constructor takes one already in
    memory (`itnews bench`'s random-weight architectures), ``source`` saying where it came from."""

    backend = "torch"

    def __init__(self, preset: Preset, tokenizer, model, source: str, revision: str | None, device: str):
        self.model = model
        limit = getattr(model.config, "max_position_embeddings", None)
        super().__init__(preset, tokenizer, source, revision, resolve_device(device), limit)
        self._place_on_device()

    @classmethod
    def load(cls, spec: str, task: str, device: str = "auto", quantize: bool = False) -> Seq2SeqModel:
        preset, source = resolve_spec(spec, task)
        if quantize and (resolved := resolve_device(device)) != "cpu":
            raise ModelUnavailable(spec, f"int8 dynamic quantization runs on CPU only, not {resolved}")
        with loading(spec):
            tokenizer, model, config = load_pretrained(spec, source)
            loaded = cls(
                preset or preset_for(spec, task, config),
                tokenizer,
                model,
                source,
                cached_revision(source),
                device,
            )
            if quantize:
                loaded.quantize()
        return loaded

    def cast(self, dtype_name: str) -> None:
        """The model's weights and activations in another dtype (bfloat16 on a CPU with AVX-512 BF16)."""
        import torch

        self.model.to(dtype=getattr(torch, dtype_name))
        self.dtype_name = dtype_name

    def quantize(self) -> None:
        """int8 dynamic quantization of the model's linear layers (CPU), recorded in the dtype."""
        quantize_int8(self.model)
        self.dtype_name += " + int8 linear"

    def _place_on_device(self) -> None:
        import torch

        device_type = self.device.split(":")[0]
        self.dtype_name = self.preset.dtype.get(device_type, "float32")
        self.model.to(device=self.device, dtype=getattr(torch, self.dtype_name))
        self.model.eval()

    def generate(self, texts: list[str], candidates: bool = False, **overrides) -> list[Generated]:
        """One output per input, in input order. Inputs longer than the model's limit are truncated.
        With ``candidates``, each output also lists every beam's finished text with its score."""
        import torch

        if not texts:
            return []
        texts = [self.preset.prefix + text for text in texts]
        lengths = self.count_tokens(texts)
        settings = {**self.generation_settings, **overrides}
        outputs: list[Generated | None] = [None] * len(texts)
        with torch.inference_mode():
            beams = settings.get("num_beams", 1)
            spread = TRANSLATION_SPREAD if self.preset.task == "translate" and beams > 1 else 0.0
            for batch in length_sorted_batches(lengths, self.max_input_tokens, self.device, beams, spread):
                encoded = self.tokenizer(
                    [texts[i] for i in batch],
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=self.max_input_tokens,
                ).to(self.device)
                inputs = dict(encoded)
                if self.model.config.is_encoder_decoder:
                    inputs |= self._encode_once(encoded, beams)
                if candidates:
                    settings |= {"num_return_sequences": beams, "return_dict_in_generate": True}
                    settings |= {"output_scores": True}
                generated = self.model.generate(**inputs, **settings)
                sequences = generated.sequences if candidates else generated
                decoded = [
                    text.strip() for text in self.tokenizer.batch_decode(sequences, skip_special_tokens=True)
                ]
                per_input = len(decoded) // len(batch)
                scores = (
                    generated.sequences_scores.tolist() if candidates and beams > 1 else [0.0] * len(decoded)
                )
                for row, i in enumerate(batch):
                    texts_and_scores = list(zip(decoded, scores, strict=True))[
                        row * per_input : (row + 1) * per_input
                    ]
                    outputs[i] = self.output(texts_and_scores, lengths[i], candidates)
        return outputs  # type: ignore[return-value]

    def _encoder_outputs(self, encoded):
        """The encoder's outputs for a batch. On CPU each input runs alone and unpadded, and the rows
        are then padded with zeros, which the attention mask hides from the decoder: a CPU's encoder
        products are large enough without batching, while padding a length-sorted batch of articles
        to its longest cost about a third more encoder time (eval/profile_parts.py)."""
        import torch
        from transformers.modeling_outputs import BaseModelOutput

        encoder = self.model.get_encoder()
        ids, mask = encoded["input_ids"], encoded["attention_mask"]
        if self.device != "cpu" or getattr(self.tokenizer, "padding_side", "right") != "right":
            return encoder(input_ids=ids, attention_mask=mask)
        rows = [
            encoder(input_ids=ids[i : i + 1, :n], attention_mask=mask[i : i + 1, :n]).last_hidden_state[0]
            for i, n in enumerate(mask.sum(dim=1).tolist())
        ]
        return BaseModelOutput(last_hidden_state=torch.nn.utils.rnn.pad_sequence(rows, batch_first=True))

    def _encode_once(self, encoded, beams: int) -> dict:
        """Encoder outputs and cross-attention keys/values for ``generate``, computed once per input.

        transformers 5 runs the encoder once per input, but then projects the encoder output to each
        decoder layer's cross-attention keys/values once per *beam* (the beams are copies of the input)
        and copies all of them again at every beam-search step. Here the projection runs on the inputs
        alone, and `shared_cross_attention_cache` skips the copies; the outputs are the same.
        """
        import torch
        from transformers import DynamicCache, EncoderDecoderCache

        encoder_outputs = self._encoder_outputs(encoded)
        if beams == 1:  # greedy: nothing is copied per beam, generate's own cache is right
            return {"encoder_outputs": encoder_outputs}
        config = self.model.config.get_text_config(decoder=True)
        cross = DynamicCache(config=config)
        # One decoder step fills the cross-attention cache; any token will do, the keys/values depend
        # only on the encoder output.
        self.model.get_decoder()(
            input_ids=torch.zeros((len(encoded["input_ids"]), 1), dtype=torch.long, device=self.device),
            encoder_hidden_states=encoder_outputs.last_hidden_state,
            encoder_attention_mask=encoded["attention_mask"],
            cache=EncoderDecoderCache(DynamicCache(config=config), cross),
            use_cache=True,
        )
        cross.batch_repeat_interleave(beams)
        cache = shared_cross_attention_cache()(DynamicCache(config=config), cross)
        # transformers 5 is renaming `past_key_values` to `cache` model by model (BART's family takes
        # `cache` and warns on the old name; T5's takes only the old name).
        cache_argument = (
            "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        )
        return {"encoder_outputs": encoder_outputs, cache_argument: cache}


@functools.cache
def shared_cross_attention_cache() -> type:
    """An encoder-decoder cache whose cross-attention part beam search leaves in place.

    Beam search reorders beams only within one input, and an input's beams have identical
    cross-attention keys/values, so reordering them is a no-op that transformers 5 still performs as
    a copy of the whole cross-attention cache at every step: on CPU that copy was up to half of a
    BART-base batch's time (eval/BENCHMARKS.md).
    """
    from transformers import EncoderDecoderCache

    class SharedCrossAttentionCache(EncoderDecoderCache):
        def reorder_cache(self, beam_idx) -> None:
            self.self_attention_cache.reorder_cache(beam_idx)

    return SharedCrossAttentionCache


def quantize_int8(model) -> None:
    """Dynamic int8 quantization of the linear layers, in place, for CPU: int8 weights, activations
    quantized on the fly. Opt-in: outputs change slightly (eval/BENCHMARKS.md)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        # torch 2.10+ deprecates quantized tensors (pytorch#184982); the dynamic int8 kernels still run.
        warnings.filterwarnings("ignore", message=".*quantiz.*deprecated")
        quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


# transformers' generate computes every row of a batch until its longest output is done. A translation
# is about as long as its source, so a batch of sentences from 10 to 60 tokens spends half its rows on
# finished outputs. Under beam search (rows = inputs x beams, compute-bound on CPU) translators'
# batches therefore hold inputs within half the longest's length: opus-mt-it-en, 6 beams, 8 articles,
# 41.0 s -> 29.7 s. Greedy, the few rows cost less than the extra steps of more batches (10.3 ->
# 12.8 s), so greedy batches are not split; nor are summaries, about as long whatever the article
# (python eval/translation_spread.py [--greedy], eval/BENCHMARKS.md).
TRANSLATION_SPREAD = 0.5


def length_sorted_batches(
    lengths: list[int], max_length: int, device: str, beams: int = 1, spread: float = 0.0
) -> list[list[int]]:
    """Indices grouped longest first, each group within the device's budget of tokens x beams, and
    each input at least ``spread`` times as long as its group's longest."""
    device_type = device.split(":")[0]
    budget, max_size = BATCH_TOKENS[device_type] // beams, MAX_BATCH_SIZE[device_type]
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for index in order:
        longest = min(lengths[batches[-1][0]], max_length) if batches else 0
        fits = batches and len(batches[-1]) < max_size and longest * (len(batches[-1]) + 1) <= budget
        if fits and lengths[index] >= spread * longest:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


def load_pretrained(name: str, source: str):
    """Tokenizer, model and config dict via ``from_pretrained``: the cache first, then the hub."""
    from huggingface_hub import constants
    from huggingface_hub.utils import logging as hub_logging
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    path = local_directory(name, source)
    if path is None and (snapshot := cached_snapshot(source)) is not None:
        check_model_directory(name, snapshot)  # a cached hub model is a folder like any other
    source = str(path) if path else source
    # Download retries, load reports and progress bars would bury our one-line messages.
    hub_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    attempts = [True] if constants.HF_HUB_OFFLINE or path else [True, False]
    for local_only in attempts:
        try:
            # Never run a model's own code, never unpickle its weights (a pickle runs code when read).
            safe = {"local_files_only": local_only, "trust_remote_code": False}
            tokenizer = AutoTokenizer.from_pretrained(source, **safe)
            model = AutoModelForSeq2SeqLM.from_pretrained(source, use_safetensors=True, **safe)
            return tokenizer, model, model.config.to_dict()
        except (OSError, ValueError) as err:
            last_error = err
    if path:
        raise ModelUnavailable(name, f"cannot load the model: {first_line(last_error)}")
    where = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else "the Hugging Face Hub cannot be reached"
    raise ModelUnavailable(name, f"not in the local Hugging Face cache and {where}; {how_to_get(name)}")


def local_directory(name: str, source: str) -> Path | None:
    """The model folder ``source`` names, checked (`check_model_directory`); None for a hub id."""
    path = Path(source).expanduser()
    if source.startswith((".", "/", "~")) or path.exists():
        check_model_directory(name, path)
        return path
    return None


def cached_snapshot(hub_id: str) -> Path | None:
    """The folder of a hub model's cached snapshot, if it is cached."""
    from huggingface_hub import try_to_load_from_cache

    try:
        config_path = try_to_load_from_cache(hub_id, "config.json")
    except ValueError:  # not a valid hub id: loading it says so in one line
        return None
    return Path(config_path).parent if isinstance(config_path, str) else None
