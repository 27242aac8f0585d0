"""The CTranslate2 backend (``--backend ctranslate2``): the same models run by CTranslate2's C++ runtime.

Presets, tokenizers, length-sorted batches, outputs and provenance are those of `itnews.summarise.seq2seq`;
only the forward passes and the search run in CTranslate2. On this project's CPUs it is faster than
torch at float32 and, with int8 weights, faster still (eval/BENCHMARKS.md).

A model is converted once, on first use or with ``itnews models convert NAME``, into a folder beside
the Hugging Face cache, keyed by what was converted:

    $HF_HOME/ctranslate2/models--ORG--NAME/REVISION/    a hub id, per cached snapshot
    $HF_HOME/ctranslate2/local--PATHHASH/FILESHASH/      a local directory, per name/size/mtime of its files

Each holds CTranslate2's model (weights kept in float32, so that any compute type can be chosen when
loading), the tokenizer, and ``itnews.json``: the decoding defaults that transformers reads from the
model's config and generation config and CTranslate2 does not carry (first tokens, banned tokens).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from itnews.summarise.loading import loading
from itnews.summarise.presets import ModelUnavailable, Preset, cached_revision, first_line, preset_for
from itnews.summarise.seq2seq import (
    Generated,
    LoadedModel,
    length_sorted_batches,
    load_pretrained,
    local_directory,
    resolve_device,
    resolve_spec,
)

SETTINGS_FILE = "itnews.json"


class CTranslate2Model(LoadedModel):
    """A converted model in a `ctranslate2.Translator`, generating as `Seq2SeqModel.generate` does."""

    backend = "ctranslate2"

    def __init__(
        self, preset: Preset, tokenizer, folder: Path, source: str, revision, device: str, compute_type: str
    ):
        import ctranslate2

        self.decoding = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        limit = self.decoding["max_position_embeddings"]
        super().__init__(preset, tokenizer, source, revision, device, limit)
        self.dtype_name = compute_type
        self.backend_version = ctranslate2.__version__
        device_type, _, index = device.partition(":")
        self.translator = ctranslate2.Translator(
            str(folder),
            device=device_type,
            device_index=int(index or 0),
            compute_type=compute_type,
            intra_threads=len(os.sched_getaffinity(0)),  # CTranslate2's default is 4, whatever the machine
        )

    @classmethod
    def load(cls, spec: str, task: str, device: str = "auto", compute_type: str | None = None):
        """``compute_type`` None is the preset's dtype for the device (float32 on CPU)."""
        from transformers import AutoTokenizer

        require_ctranslate2(spec)
        preset, source = resolve_spec(spec, task)
        device = resolve_device(device, cuda_devices)
        with loading(spec):
            folder = convert(spec, source)
            decoding = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
            preset = preset or preset_for(spec, task, decoding)
            compute_type = compute_type or preset.dtype.get(device.split(":")[0], "float32")
            check_compute_type(spec, compute_type, device)
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
            return cls(preset, tokenizer, folder, source, cached_revision(source), device, compute_type)

    def provenance(self) -> dict:
        return {**super().provenance(), "backend_version": self.backend_version}

    def generate(self, texts: list[str], candidates: bool = False, **overrides) -> list[Generated]:
        """One output per input, in input order, as `Seq2SeqModel.generate` (same batches, same
        truncation, same settings: HF names mapped to CTranslate2's)."""
        if not texts:
            return []
        texts = [self.preset.prefix + text for text in texts]
        encoded = self.tokenizer(texts, add_special_tokens=True)["input_ids"]
        lengths = [len(ids) for ids in encoded]
        settings = {**self.generation_settings, **overrides}
        beams = settings.get("num_beams", 1)
        options = self.search_options(settings, candidates)
        prefix = self.target_prefix(settings)
        outputs: list[Generated | None] = [None] * len(texts)
        # No TRANSLATION_SPREAD: CTranslate2's search is its own, meant to stop each output when it ends
        # (the split was measured for torch only).
        for batch in length_sorted_batches(lengths, self.max_input_tokens, self.device, beams):
            sources = [self.tokens(texts[i], encoded[i]) for i in batch]
            results = self.translator.translate_batch(
                sources, target_prefix=[prefix] * len(batch) if prefix else None, **options
            )
            for i, result in zip(batch, results, strict=True):
                texts_and_scores = [
                    (self.decode(hypothesis), score)
                    for hypothesis, score in zip(
                        result.hypotheses, result.scores or [0.0] * len(result.hypotheses), strict=True
                    )
                ]
                outputs[i] = self.output(texts_and_scores, lengths[i], candidates)
        return outputs  # type: ignore[return-value]

    def tokens(self, text: str, ids: list[int]) -> list[str]:
        """The input's tokens, truncated as transformers truncates (its special tokens kept)."""
        if len(ids) > self.max_input_tokens:
            ids = self.tokenizer(text, truncation=True, max_length=self.max_input_tokens)["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(ids)

    def decode(self, tokens: list[str]) -> str:
        ids = self.tokenizer.convert_tokens_to_ids(tokens)
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()

    def target_prefix(self, settings: dict) -> list[str]:
        """The first token transformers' generate forces: the preset's (a target language), else the
        model's own (BART's <s>)."""
        if "forced_bos_token_id" in settings:
            return [self.tokenizer.convert_ids_to_tokens(settings["forced_bos_token_id"])]
        return [self.decoding["forced_bos_token"]] if self.decoding["forced_bos_token"] else []

    def search_options(self, settings: dict, candidates: bool) -> dict:
        beams = settings.get("num_beams", 1)
        # transformers forces </s> as the last of max_new_tokens where the model asks for it (BART,
        # Marian); CTranslate2 stops at its limit without one, so one token fewer gives the same text.
        limit = settings.get("max_new_tokens", 256) - self.decoding["forced_eos"]
        return {
            "beam_size": beams,
            "num_hypotheses": beams if candidates else 1,
            "return_scores": candidates,
            "length_penalty": settings.get("length_penalty", 1.0),
            "no_repeat_ngram_size": settings.get("no_repeat_ngram_size", 0),
            "min_decoding_length": settings.get("min_new_tokens", 0),
            "max_decoding_length": limit,
            "suppress_sequences": self.decoding["suppress_sequences"] or None,
            "max_input_length": 0,  # inputs are truncated here, as for torch
        }


def require_ctranslate2(spec: str) -> None:
    import importlib.util

    if importlib.util.find_spec("ctranslate2") is None:
        raise ModelUnavailable(spec, "CTranslate2 is not installed: pip install 'itnews[ctranslate2]'")


def cuda_devices() -> int:
    """The CUDA devices CTranslate2's own build sees (it may see none where torch sees some)."""
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


def check_compute_type(spec: str, compute_type: str, device: str) -> None:
    import ctranslate2

    supported = ctranslate2.get_supported_compute_types(device.split(":")[0])
    if compute_type not in supported:
        raise ModelUnavailable(
            spec,
            f"compute type {compute_type} is not supported by CTranslate2 on this {device.split(':')[0]} "
            f"(supported: {', '.join(sorted(supported))})",
        )


# --- conversion -----------------------------------------------------------------------------------


def convert_by_name(spec: str) -> Path:
    """`itnews models convert`: a preset, hub id or directory converted (if not already); its folder."""
    require_ctranslate2(spec)
    _, source = resolve_spec(spec, "instruct")  # any task: converting does not use the model
    with loading(spec):
        return convert(spec, source)


def convert(spec: str, source: str) -> Path:
    """The converted folder of a model (preset's hub id or directory), converting it if needed."""
    local_directory(spec, source)  # a folder is checked before anything is read from it
    folder = converted_folder(source)
    if not (folder / SETTINGS_FILE).is_file():
        tokenizer, model, _ = load_pretrained(spec, source)  # the safety checks of the torch path
        folder = converted_folder(source)  # a hub id's revision is known once it is cached
        try:
            write_converted(model, tokenizer, folder)
        except (OSError, ValueError, KeyError, AttributeError, RuntimeError) as err:
            raise ModelUnavailable(spec, f"cannot convert to CTranslate2: {first_line(err)}") from None
    return folder


def converted_folder(source: str) -> Path:
    from huggingface_hub import constants

    root = Path(constants.HF_HOME) / "ctranslate2"
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(
            (f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in path.iterdir() if f.is_file()
        )
        return root / f"local--{digest(str(path.resolve()))}" / digest(repr(files))
    # A hub id: its cached snapshot (a model not cached yet is loaded, and so cached, by `convert`).
    try:
        revision = cached_revision(source) or "unresolved"
    except ValueError:  # not a valid hub id: loading it says so in one line
        revision = "unresolved"
    return root / f"models--{source.replace('/', '--')}" / revision


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def write_converted(model, tokenizer, folder: Path) -> None:
    """Convert into a temporary folder beside ``folder``, then rename: a run killed mid-conversion
    leaves nothing that looks converted, and two runs converting at once both end with one folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".converting-", dir=folder.parent))
    try:
        converter = in_memory_converter(model, tokenizer, work / "config")
        with transformers5_fields(model.config):
            converter.convert(str(work / "model"), force=True)
        fill_missing_tokens(work / "model", model.config, tokenizer)
        tokenizer.save_pretrained(work / "model")
        decoding = decoding_defaults(model, tokenizer, work / "model")
        (work / "model" / SETTINGS_FILE).write_text(json.dumps(decoding, indent=1), encoding="utf-8")
        try:
            (work / "model").rename(folder)
        except OSError:
            if not (folder / SETTINGS_FILE).is_file():  # not another run's finished conversion
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def in_memory_converter(model, tokenizer, config_folder: Path):
    """CTranslate2's transformers converter, given the model and tokenizer already loaded (and so
    already checked: safetensors only, no remote code) instead of loading them again."""
    from ctranslate2.converters import TransformersConverter

    model.config.save_pretrained(config_folder)  # the converter reads the config class from here

    class InMemoryConverter(TransformersConverter):
        def load_model(self, *args, **kwargs):
            return model

        def load_tokenizer(self, *args, **kwargs):
            return tokenizer

    return InMemoryConverter(str(config_folder))


@contextmanager
def transformers5_fields(config):
    """Config fields CTranslate2 4.8's loaders read as transformers 4 wrote them, for the conversion.

    BART and mBART configs no longer carry ``normalize_before`` (BART is post-norm, mBART pre-norm).
    T5 configs now always say ``tie_word_embeddings``, CTranslate2's cue to scale the decoder output;
    transformers 5 scales it only where ``scale_decoder_outputs`` is set (T5 1.0), never for mT5."""
    fields = {}
    if config.model_type in ("bart", "mbart") and not hasattr(config, "normalize_before"):
        fields["normalize_before"] = config.model_type == "mbart"
    if config.model_type in ("t5", "mt5"):
        fields["tie_word_embeddings"] = bool(getattr(config, "scale_decoder_outputs", False))
    saved = {name: getattr(config, name) for name in fields if hasattr(config, name)}
    for name, value in fields.items():
        setattr(config, name, value)
    try:
        yield
    finally:
        for name in fields:
            if name in saved:
                setattr(config, name, saved[name])
            else:
                delattr(config, name)


def fill_missing_tokens(converted: Path, config, tokenizer) -> None:
    """Tokens CTranslate2 left unset where transformers takes them from the model's config: mBART-25
    starts decoding from its language code (``decoder_start_token_id``). Some models name no <s>
    (mBART-50), which CTranslate2 cannot load; it is not used for these models (``add_source_bos`` is
    false), so </s> stands in."""
    path = converted / "config.json"
    values = json.loads(path.read_text(encoding="utf-8"))
    for key in ("bos_token", "decoder_start_token"):
        token_id = getattr(config, f"{key}_id", None)
        if values.get(key) is None and token_id is not None:
            values[key] = tokenizer.convert_ids_to_tokens(token_id)
    values["bos_token"] = values.get("bos_token") or values["eos_token"]
    path.write_text(json.dumps(values, indent=2), encoding="utf-8")


def decoding_defaults(model, tokenizer, converted: Path) -> dict:
    """What transformers' generate takes from the model's own configs and CTranslate2 must be told."""
    generation, config = model.generation_config, model.config
    vocabulary = set(vocabulary_tokens(converted))

    def token(token_id) -> str | None:
        return tokenizer.convert_ids_to_tokens(token_id) if token_id is not None else None

    banned = [tokenizer.convert_ids_to_tokens(ids) for ids in generation.bad_words_ids or []]
    return {
        "model_type": config.model_type,
        "max_position_embeddings": getattr(config, "max_position_embeddings", None),
        "forced_bos_token": token(generation.forced_bos_token_id),
        "forced_eos": generation.forced_eos_token_id is not None,
        # Only tokens CTranslate2 kept (it drops Marian's <pad>, which therefore cannot be generated).
        "suppress_sequences": [tokens for tokens in banned if set(tokens) <= vocabulary],
    }


def vocabulary_tokens(converted: Path) -> list[str]:
    for name in ("shared_vocabulary.json", "target_vocabulary.json"):
        if (converted / name).is_file():
            return json.loads((converted / name).read_text(encoding="utf-8"))
    return []
