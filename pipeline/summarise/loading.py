"""Loading a model from a folder (a local directory or a cached hub snapshot): the checks made before
anything is loaded, and the one boundary that turns any failure to load into one line.

Before transformers reads a folder, `check_model_directory` refuses what would run code (``auto_map``,
pickled weights), JSON files too big to parse in reasonable memory, a config.json that is not an
object of sane sizes, and safetensors files whose header does not fit the file or does not match
the config (layer counts, width, vocabulary): read from the 8-byte length and the JSON header only,
never the weights. A config asking for a million layers would otherwise build modules for minutes.

`loading` is the boundary around every load (torch, CTranslate2, ``models convert``): any exception
inside it, from our checks, transformers, tokenizers, safetensors or CTranslate2, becomes
`ModelUnavailable`: ``error: <model>: cannot load the model: <reason>``.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from itnews.summarise.presets import ModelUnavailable, first_line

# The largest JSON files of real models are tokenizers: NLLB's tokenizer.json is 17 MB, mT5's 16 MB.
# Four times that is room for any vocabulary; past it a file is not a model's (a 1 GB tokenizer.json
# took 5.5 GB of memory to parse).
MAX_JSON_BYTES = 64 * 2**20
# safetensors' own limit on its JSON header (it refuses larger ones when loading).
MAX_HEADER_BYTES = 100_000_000
# Sizes a config.json gives, each a positive integer. Layer counts stay under MAX_LAYERS (the deepest
# seq2seq models have dozens; 10^6 layers took minutes of building with nothing printed); widths,
# vocabularies and positions under MAX_SIZE (real ones: 256k tokens, 16k wide, 1M positions).
LAYER_KEYS = ("encoder_layers", "decoder_layers", "num_layers", "num_decoder_layers", "num_hidden_layers")
SIZE_KEYS = (
    "vocab_size",
    "decoder_vocab_size",
    "d_model",
    "hidden_size",
    "d_ff",
    "d_kv",
    "encoder_ffn_dim",
    "decoder_ffn_dim",
    "intermediate_size",
    "num_heads",
    "num_attention_heads",
    "encoder_attention_heads",
    "decoder_attention_heads",
    "max_position_embeddings",
)
MAX_LAYERS = 1024
MAX_SIZE = 2**24
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
               "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}  # fmt: skip
# A layer's tensors: "model.encoder.layers.3.fc1.weight" (BART, Marian, mBART), "encoder.block.3..." (T5).
LAYER = re.compile(r"(?:^|\.)(encoder|decoder)\.(?:layers|block)\.(\d+)\.")
EMBEDDING = re.compile(r"(?:^|\.)(?:shared|embed_tokens)\.weight$")


class BadModel(ValueError):
    """A model folder that fails a check; `loading` says why in one line."""


@contextmanager
def loading(name: str) -> Iterator[None]:
    """The boundary of loading model ``name``: any failure inside is ModelUnavailable, one line."""
    try:
        yield
    except ModelUnavailable:
        raise
    except Exception as err:  # transformers, tokenizers, safetensors, CTranslate2: many types, one line
        raise ModelUnavailable(name, f"cannot load the model: {first_line(err)}") from None


def check_model_directory(name: str, path: Path) -> None:
    """A model folder that itnews can load without running code from it, or exhausting memory: a
    config.json naming no custom code (``auto_map``), with sane sizes that its safetensors weights
    agree with, and JSON files of a model's size."""
    if not (path / "config.json").is_file():
        raise ModelUnavailable(name, f"{path} is not a model directory (no config.json)")
    for json_file in sorted(path.glob("*.json")):
        if json_file.stat().st_size > MAX_JSON_BYTES:
            raise BadModel(
                f"{json_file.name} is {json_file.stat().st_size / 2**20:.0f} MB, over the "
                f"{MAX_JSON_BYTES // 2**20} MB any model's JSON files take"
            )
    config = read_json(name, path / "config.json")
    tokenizer_config = read_json(name, path / "tokenizer_config.json")
    for settings, values in (("config.json", config), ("tokenizer_config.json", tokenizer_config)):
        if isinstance(values, dict) and "auto_map" in values:
            raise ModelUnavailable(
                name,
                f"{settings} asks to run the model's own Python code (auto_map); itnews never runs code "
                "from a model folder: use a model that transformers supports as it is",
            )
    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        raise ModelUnavailable(
            name,
            "no .safetensors weights; only safetensors files are loaded, because a pickle "
            "(pytorch_model.bin, .pt) can run code when it is read",
        )
    check_config(config)
    check_against_weights(config, {k: v for f in weights for k, v in safetensors_header(f).items()})


def read_json(name: str, path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as err:
        raise ModelUnavailable(name, f"{path} is not valid JSON: {first_line(err)}") from None


def check_config(config) -> None:
    """config.json is an object whose sizes are positive integers within bounds."""
    if not isinstance(config, dict):
        raise BadModel(f"config.json holds a JSON {type(config).__name__}, not an object")
    for key in LAYER_KEYS + SIZE_KEYS:
        value = config.get(key)
        limit = MAX_LAYERS if key in LAYER_KEYS else MAX_SIZE
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
            shown = json.dumps(value)[:40]
            raise BadModel(f"config.json: {key} is {shown}, not a whole number from 1 to {limit}")


def safetensors_header(path: Path) -> dict:
    """A safetensors file's tensors ({name: {"dtype", "shape", "data_offsets"}}), from its header only,
    each checked to fit the file and to be as large as its shape says."""
    size = path.stat().st_size
    with path.open("rb") as file:
        start = file.read(8)
        if len(start) < 8:
            raise BadModel(f"{path.name} is truncated: {size} bytes, no safetensors header")
        (length,) = struct.unpack("<Q", start)
        if length > min(MAX_HEADER_BYTES, size - 8):
            raise BadModel(f"{path.name}: its header claims {length} bytes, the file has {size}")
        try:
            header = json.loads(file.read(length))
        except (ValueError, RecursionError) as err:
            raise BadModel(
                f"{path.name}: its safetensors header is not valid JSON: {first_line(err)}"
            ) from None
    if not isinstance(header, dict):
        raise BadModel(f"{path.name}: the safetensors header is not an object")
    data = size - 8 - length
    tensors = {}
    for tensor, entry in header.items():
        if tensor == "__metadata__":
            continue
        if not (
            isinstance(entry, dict)
            and entry.get("dtype") in DTYPE_BYTES
            and isinstance(shape := entry.get("shape"), list)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
            and isinstance(offsets := entry.get("data_offsets"), list)
            and len(offsets) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in offsets)
        ):
            raise BadModel(f"{path.name}: tensor {tensor[:80]!r} has a malformed header entry")
        begin, end = offsets
        if not 0 <= begin <= end <= data:
            raise BadModel(f"{path.name}: tensor {tensor[:80]!r} lies past the end of the file (truncated?)")
        needed = math.prod(shape) * DTYPE_BYTES[entry["dtype"]]
        if end - begin != needed:
            raise BadModel(
                f"{path.name}: tensor {tensor[:80]!r} takes {end - begin} bytes, its shape "
                f"{shape[:8]} of {entry['dtype']} needs {needed}"
            )
        tensors[tensor] = shape
    return tensors


def check_against_weights(config: dict, tensors: dict[str, list[int]]) -> None:
    """The config's layer counts, width and vocabulary are those of the weights' tensors."""
    layers: dict[str, set[str]] = {"encoder": set(), "decoder": set()}
    for tensor in tensors:
        if match := LAYER.search(tensor):
            layers[match[1]].add(match[2])
    said = {
        "encoder": ("encoder_layers", "num_layers"),
        "decoder": ("decoder_layers", "num_decoder_layers", "num_layers"),
    }
    for side, keys in said.items():
        key = next((k for k in keys if k in config), None)
        if layers[side] and key and config[key] != len(layers[side]):
            raise BadModel(
                f"config.json says {key} {config[key]}, the weights have {len(layers[side])} {side} layers"
            )
    embedding = next((shape for tensor, shape in tensors.items() if EMBEDDING.search(tensor)), None)
    if embedding is None or len(embedding) != 2:
        return
    width = next((k for k in ("d_model", "hidden_size") if k in config), None)
    vocabulary = "vocab_size" if "vocab_size" in config else None
    for key, size in ((width, embedding[1]), (vocabulary, embedding[0])):
        if key and config[key] != size:
            raise BadModel(f"config.json says {key} {config[key]}, the weights' embedding has {size}")
