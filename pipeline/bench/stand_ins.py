"""Stand-ins for a preset's real model, so that `itnews bench` times real work with nothing downloaded.

Throughput does not depend on the weights: each preset's exact architecture
(``models/configs/<preset>.json``) is built with seeded random weights (`build_model`), and its
tokenizer is stood in for by a SentencePiece model trained on the corpus (`CorpusTokenizer`). So
that the work equals a real model's, input and output lengths are set to what the real model would
see and write:

- inputs: each text becomes ``TOKENS_PER_WORD`` tokens per word, cut to the preset's input limit;
- outputs are forced (`LengthForcer`): ``SUMMARY_TOKENS`` per summary, and ``TRANSLATION_RATIO`` times
  the source's tokens per translated sentence (a random model would otherwise stop at random).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from itnews.summarise.presets import Preset

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


def build_model(preset: Preset, tiny: bool = False):
    """The preset's architecture with seeded random weights (nothing downloaded), and notes on it."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM
    from transformers.utils import logging

    from itnews.summarise.presets import architecture_config

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


# The real tokenizers' <unk> ids, by model type (configs leave it to the tokenizer).
UNKNOWN_IDS = {"bart": 3, "mbart": 3, "m2m_100": 3, "marian": 1, "t5": 2, "mt5": 2}
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
        # Token strings, for CTranslate2 (which takes tokens, not ids): the big vocabulary's specials by
        # name, every other id as "t<id>".
        self.names = {token_id: token for token, token_id in LANGUAGE_IDS.items()}
        self.unk_token_id = UNKNOWN_IDS[config.model_type]  # configs leave it to the tokenizer
        for name, token in (("eos", "</s>"), ("pad", "<pad>"), ("unk", "<unk>"), ("bos", "<s>")):
            token_id = getattr(config, f"{name}_token_id", None) if name != "unk" else self.unk_token_id
            if token_id is not None:
                self.names.setdefault(token_id, token)  # Marian's </s> is also its <s>
            setattr(self, f"{name}_token", self.names[token_id] if token_id is not None else None)
        self.vocab_size = config.vocab_size
        self.ids = {token: token_id for token_id, token in self.names.items()}
        self.special_tokens_map = {}

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

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self.names.get(ids, f"t{ids}")
        return [self.names.get(i, f"t{i}") for i in ids]

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            return self.ids[tokens] if tokens in self.ids else int(tokens[1:])
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def get_vocab(self) -> dict[str, int]:
        return {self.convert_ids_to_tokens(i): i for i in range(self.vocab_size)}

    def save_pretrained(self, folder) -> None:
        """Nothing to save: the bench hands this tokenizer itself to the converted model."""


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


class CTranslate2LengthForcer:
    """`LengthForcer` for a `CTranslate2Model`: CTranslate2 takes one minimum and maximum length per
    call and no logits processor, so each call decodes all its inputs to their longest forced length,
    and each output is cut to its own (the extra tokens are counted in ``wasted``). The cut leaves what
    transformers outputs: its last forced token is </s>, which decoding drops."""

    def __init__(self, model, lengths: Callable[[list[int]], list[int]]):
        self.lengths = lengths
        self.tokens = self.wasted = 0
        self.translator = model.translator
        model.translator = self

    def translate_batch(self, sources, target_prefix=None, **options):
        from types import SimpleNamespace

        targets = self.lengths([len(tokens) for tokens in sources])
        longest = max(targets)
        self.tokens += sum(targets)
        self.wasted += sum(longest - target for target in targets)
        options |= {"min_decoding_length": longest, "max_decoding_length": longest}
        results = self.translator.translate_batch(sources, target_prefix=target_prefix, **options)
        return [
            SimpleNamespace(hypotheses=[h[: target - 1] for h in result.hypotheses], scores=result.scores)
            for result, target in zip(results, targets, strict=True)
        ]
