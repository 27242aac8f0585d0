"""Model presets: the models itnews knows by name, and settings for models it does not.

A preset (``models/presets.toml``, shipped inside the package as ``itnews.models``) says where a model
lives (hub id), its family, language codes, input limit, dtype policy, generation settings and
licence. For a bare hub id or a local directory, `preset_for` derives the same settings from the
model's config.json. The rest of the code reads settings from a `Preset` and never branches on names.
"""

from __future__ import annotations

import functools
import json
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

PRESETS = files("itnews.models")  # presets.toml and configs/*.json, wherever the package is installed


class ModelUnavailable(Exception):
    """A model that cannot be loaded; the CLI prints ``error: <name>: <reason>``."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Preset:
    """Everything needed to run one model: where it lives and how to prompt and decode it."""

    name: str
    task: str  # summarise | translate | instruct
    hub_id: str
    family: str  # marian | bart | mbart | mbart50 | t5 | mt5 | nllb
    source_lang: str = "it"
    target_lang: str = "it"
    forced_bos_token: str = ""
    prefix: str = ""
    prompt_it: str = ""  # instruct presets: templates with {text}
    prompt_en: str = ""
    max_input_tokens: int = 512
    dtype: dict = field(default_factory=lambda: {"cpu": "float32", "cuda": "float16"})
    generate: dict = field(default_factory=dict)
    config: str = ""  # models/-relative path of the architecture's config.json (for `itnews bench`)
    licence: str = ""
    parameters: str = ""
    size_on_disk: str = ""
    notes: str = ""


@functools.cache
def load_presets() -> tuple[dict[str, Preset], dict[str, str]]:
    """The presets by name, and the ``[defaults]`` table (summariser, translator)."""
    data = tomllib.loads(PRESETS.joinpath("presets.toml").read_text(encoding="utf-8"))
    presets = {name: Preset(name=name, **values) for name, values in data["presets"].items()}
    return presets, data.get("defaults", {})


# For a hub id or directory that is not a preset: settings by the config's model_type and role.
SUMMARY_GENERATION = {
    "num_beams": 4,
    "max_new_tokens": 128,
    "no_repeat_ngram_size": 3,
    "early_stopping": True,
}
TRANSLATION_GENERATION = {"num_beams": 4, "max_new_tokens": 200, "early_stopping": True}
FAMILY_BY_MODEL_TYPE = {
    "marian": "marian",
    "bart": "bart",
    "mbart": "mbart",
    "t5": "t5",
    "mt5": "mt5",
    "m2m_100": "nllb",
}
FAMILY_DEFAULTS = {  # (source_lang, target_lang for a translator, forced first token for a translator)
    "mbart": {"source_lang": "it_IT", "target_lang": "it_IT"},
    "mbart50": {"source_lang": "it_IT", "target_lang": "en_XX", "forced_bos_token": "en_XX"},
    "nllb": {"source_lang": "ita_Latn", "target_lang": "eng_Latn", "forced_bos_token": "eng_Latn"},
}
HALF_PRECISION_UNSAFE = {"t5", "mt5"}  # T5-family activations overflow in float16


def preset_for(spec: str, task: str, config: dict) -> Preset:
    """Settings for a model given by hub id or directory, from its config.json."""
    family = FAMILY_BY_MODEL_TYPE.get(config.get("model_type", ""), config.get("model_type", "unknown"))
    if family == "mbart" and task == "translate":
        family = "mbart50"
    defaults = dict(FAMILY_DEFAULTS.get(family, {}))
    if task != "translate":
        defaults.pop("forced_bos_token", None)
        defaults["target_lang"] = defaults.get("source_lang", "it")
    return Preset(
        name=spec,
        task=task,
        hub_id=spec,
        family=family,
        max_input_tokens=int(config.get("max_position_embeddings") or 512),
        dtype={"cpu": "float32", "cuda": "bfloat16" if family in HALF_PRECISION_UNSAFE else "float16"},
        generate=dict(TRANSLATION_GENERATION if task == "translate" else SUMMARY_GENERATION),
        **defaults,
    )


def is_cached(hub_id: str) -> bool:
    """Whether a hub model is in the local Hugging Face cache (no network, no torch import)."""
    from huggingface_hub import constants

    # Importing try_to_load_from_cache costs ~90 ms (httpx and more), a fifth of summarising one
    # article offline; a model whose cache folder is absent needs no such import to be known absent.
    if not (Path(constants.HF_HUB_CACHE) / f"models--{hub_id.replace('/', '--')}").is_dir():
        return False
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(hub_id, "config.json"), str)


def cached_revision(hub_id: str) -> str | None:
    """The commit a cached hub id resolved to: its snapshot folder's name (None for a directory)."""
    from huggingface_hub import try_to_load_from_cache

    if Path(hub_id).expanduser().exists():
        return None
    config_path = try_to_load_from_cache(hub_id, "config.json")
    if not isinstance(config_path, str) or "snapshots" not in Path(config_path).parts:
        return None
    return Path(config_path).parent.name


def how_to_get(name: str) -> str:
    return (
        f"run `itnews models pull {name}` on a connected machine (or copy its HF cache here), "
        "or pass a local model directory"
    )


def pull(name: str) -> Path:
    """Download a preset's or hub id's files into the Hugging Face cache; returns the snapshot dir."""
    from huggingface_hub import snapshot_download

    presets, _ = load_presets()
    hub_id = presets[name].hub_id if name in presets else name
    patterns = ["*.json", "*.model", "*.spm", "*.txt", "*.safetensors", "tokenizer*"]
    try:
        return Path(snapshot_download(hub_id, allow_patterns=patterns))
    except Exception as err:  # network and hub errors come in many types; one line is what a user needs
        raise ModelUnavailable(name, f"download failed: {first_line(err)}") from None


def architecture_config(preset: Preset) -> dict:
    """The preset's published config.json values (keys starting with ``_`` are our notes)."""
    data = json.loads(PRESETS.joinpath(*preset.config.split("/")).read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
