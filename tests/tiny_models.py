"""Tiny random-weight seq2seq models with real tokenizers, for tests that must not download anything.

Each family (t5, mt5, bart, mbart, mbart50, marian) gets a tokenizer trained in a second on the repo's
own Italian/English corpus and a ~100k-parameter model with seeded weights.  Everything is written with
``save_pretrained`` so tests exercise the public loading path (``AutoTokenizer`` /
``AutoModelForSeq2SeqLM.from_pretrained``), either from the directory or, after ``hub_cache_layout``,
by hub id from an offline Hugging Face cache.

Env vars and import order (huggingface_hub 2.x, transformers 5.x): ``HF_HOME``, ``HF_HUB_CACHE`` and
``HF_HUB_OFFLINE`` are read ONCE, when ``huggingface_hub.constants`` is imported (transformers imports it).
Setting them later in the same process (``monkeypatch.setenv``) has no effect.  So either set them before
anything imports transformers, load in a subprocess with the env set (what the CLI tests do), or pass
``cache_dir=<HF_HOME>/hub`` and ``local_files_only=True`` to ``from_pretrained`` explicitly.

Transformers 5.23 no longer exposes ``config._commit_hash`` (it is popped on load).  The commit a hub id
resolves to is ``huggingface_hub.resolve_revision(repo_id, local_files_only=True).resolved`` (it reads
``refs/main``), or the ``snapshots/<commit>/`` part of
``transformers.utils.cached_file(repo_id, "config.json")``.

Transformers 5 tokenizer surprises met here: BartTokenizer is just RobertaTokenizer; T5/MBart/MBart50 are
tokenizers-backed classes that convert the .model via protobuf and rebuild their own Unigram backend with
hardcoded special ids (MBart's saved tokenizer_config carries the proto's ``"unk_id": 0``, ignored: unk is
3); MarianTokenizer is still pure-Python sentencepiece (no tokenizer.json); ``from_pretrained`` kwargs such
as ``local_files_only``/``is_local`` leak into the saved tokenizer_config.json (harmless); generation
settings (forced_bos_token_id, bad_words_ids, ...) live only in generation_config.json.

Usage from a shell: ``python -m tests.tiny_models OUT_DIR [FAMILY ...]``.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
import warnings
from pathlib import Path

import sentencepiece as spm

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
FAMILIES = ("t5", "mt5", "bart", "mbart", "mbart50", "marian")
SEED = 1234
DEFAULT_COMMIT = "0123456789abcdef0123456789abcdef01234567"

# Written for this module so the tokenizers always see every accented letter, both apostrophes (' and ’)
# and the everyday words the tests check, whatever articles exist in corpus/ at the moment.
_ITALIAN = """\
Il governo ha approvato la legge di bilancio dopo un lungo dibattito in Parlamento.
Perché la riforma è necessaria? Il ministro dell'Economia ha risposto alle domande dei giornalisti.
La società ha annunciato nuovi investimenti nell'innovazione e nella ricerca.
L'azienda ha chiuso l'anno con un utile in crescita del 12% rispetto al 2023.
Più di mille persone hanno partecipato alla manifestazione di sabato a Roma.
Il sindaco ha detto che la città avrà presto una nuova linea della metropolitana.
La squadra è tornata in testa alla classifica dopo la vittoria di domenica sera.
L’allenatore ha spiegato che la partita è stata difficile, però il risultato è giusto.
Secondo l'Istat l'inflazione è scesa al 2,1% nel mese di ottobre.
Gli studenti chiedono più fondi per l'università e per le borse di studio.
La Commissione europea ha chiesto all'Italia di ridurre il debito pubblico.
Il presidente della Repubblica ha firmato il decreto sull'energia.
È stata una giornata difficile per la Borsa di Milano, che ha perso l'1,5%.
Le opposizioni criticano la manovra: «Non c'è nulla per i giovani», dicono.
Il nuovo modello di intelligenza artificiale è stato presentato ieri a Torino.
I sindacati hanno proclamato uno sciopero dei trasporti per venerdì prossimo.
La Corte costituzionale si pronuncerà entro la fine del mese.
Così il Paese potrà recuperare competitività, ha affermato il premier.
Già nel 2022 la produzione industriale era calata in molte regioni del Sud.
Il Comune di Napoli ha approvato il piano per la mobilità sostenibile.
"""
_ENGLISH = """\
The government approved the budget law after a long debate in Parliament.
Why is the reform necessary? The economy minister answered questions from journalists.
The company announced new investments in innovation and research.
The firm closed the year with profits up 12% compared with 2023.
More than a thousand people took part in Saturday's demonstration in Rome.
The mayor said the city will soon have a new underground line.
The team returned to the top of the table after Sunday night's win.
The coach said the match was difficult, but the result was fair.
According to Istat, inflation fell to 2.1% in October.
Students are asking for more funding for universities and scholarships.
The European Commission asked Italy to reduce its public debt.
The President of the Republic signed the energy decree.
Unions have called a transport strike for next Friday.
The Constitutional Court will rule by the end of the month.
"""


def _read_text(path: Path) -> str:
    """Some corpus articles are deliberately not UTF-8 (ingest tests cover encoding detection): cp1252."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def corpus_texts() -> list[str]:
    """Italian lines to train source-side tokenizers on: the corpus articles plus the built-in sentences.

    The built-in sentences are always added (not only as a fallback) so the character set is complete
    even while the corpus is being written; ``character_coverage=1.0`` then rules out ``<unk>`` for any
    letter seen here.
    """
    lines: list[str] = []
    for path in sorted((CORPUS / "articles").glob("*.txt")):
        lines += _read_text(path).splitlines()
    for record in _corpus_records("index.jsonl"):
        lines.append(record.get("title") or "")
    for record in _corpus_records("references.jsonl"):
        lines.append(record.get("summary_it") or "")
    lines += _ITALIAN.splitlines()
    return [line.strip() for line in lines if line.strip()]


def _corpus_records(name: str) -> list[dict]:
    path = CORPUS / name
    if not path.exists():
        return []
    return [json.loads(row) for row in path.read_text(encoding="utf-8").splitlines() if row.strip()]


def english_texts() -> list[str]:
    """English lines for Marian's target side: ``summary_en`` of the reference summaries plus built-ins."""
    lines: list[str] = []
    lines += [record.get("summary_en") or "" for record in _corpus_records("references.jsonl")]
    lines += _ENGLISH.splitlines()
    return [line.strip() for line in lines if line.strip()]


def train_sentencepiece(
    texts: list[str],
    out_dir: Path | str,
    vocab_size: int = 800,
    *,
    filename: str = "spiece.model",
    t5_ids: bool = False,
    model_type: str = "unigram",
) -> Path:
    """Train a SentencePiece model on ``texts`` and write it to ``out_dir/filename``; returns the path.

    Special-token ids must match what the transformers 5 classes assume when they convert the .model:
    - T5/mT5 (``t5_ids=True``): pad=0, eos=1, unk=2, no bos, used as-is (T5Tokenizer hardcodes unk_id=2
      and appends the ``<extra_id_N>`` sentinels after the pieces).
    - mBART, mBART-50, Marian: SentencePiece's defaults unk=0, <s>=1, </s>=2 as in the real
      ``sentencepiece.bpe.model``.  MBart(50)Tokenizer drops pieces 0-2 and prepends the fairseq specials
      <s>=0, <pad>=1, </s>=2, <unk>=3 itself (so every other piece id is shifted by one), then appends the
      language codes and <mask>.  Marian maps pieces to ids through its own vocab.json, so ids don't matter.
    ``hard_vocab_limit=False`` makes ``vocab_size`` an upper bound: a small corpus can't always fill it.
    All transformers 5 tokenizer classes used here build a Unigram backend, so keep ``model_type="unigram"``.
    """
    ids = {"pad_id": 0, "eos_id": 1, "unk_id": 2, "bos_id": -1} if t5_ids else {}
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        hard_vocab_limit=False,
        max_sentence_length=1 << 16,
        num_threads=1,  # deterministic and no slower on this corpus size
        minloglevel=2,
        **ids,
    )
    path = Path(out_dir) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.getvalue())
    return path


# --- tokenizers -------------------------------------------------------------------------------------


def _t5_tokenizer(out_dir: Path, texts: list[str], extra_ids: int):
    from transformers import T5Tokenizer

    # v5 has no slow/fast split: T5Tokenizer is a tokenizers ("TokenizersBackend") class; from_pretrained
    # converts spiece.model with protobuf, and save_pretrained writes tokenizer.json next to it.
    train_sentencepiece(texts, out_dir, t5_ids=True)
    return T5Tokenizer.from_pretrained(out_dir, extra_ids=extra_ids)


def _bart_tokenizer(out_dir: Path, texts: list[str]):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartTokenizer

    # BART-IT style: a byte-level BPE trained with the tokenizers library (vocab.json + merges.txt), so no
    # character can ever be <unk>.  In v5 BartTokenizer is an alias of RobertaTokenizer (AutoTokenizer
    # for model_type "bart" reports RobertaTokenizer).
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=1000,
        min_frequency=2,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe.save_model(str(out_dir))
    return BartTokenizer.from_pretrained(out_dir)


def _mbart_tokenizer(out_dir: Path, texts: list[str], fifty: bool):
    from transformers import MBart50Tokenizer, MBartTokenizer

    train_sentencepiece(texts, out_dir, filename="sentencepiece.bpe.model")
    cls = MBart50Tokenizer if fifty else MBartTokenizer
    # Language codes (it_IT, en_XX, ...) are appended by the class itself as special tokens.
    return cls.from_pretrained(out_dir, src_lang="it_IT", tgt_lang="it_IT")


def _marian_tokenizer(out_dir: Path, texts: list[str]):
    from transformers import MarianTokenizer

    # opus-mt-it-en layout: source.spm (Italian), target.spm (English) and one shared vocab.json with
    # </s>=0, <unk>=1 and <pad> last (= decoder_start_token_id).  MarianTokenizer is still a pure-Python
    # sentencepiece tokenizer in v5 (no tokenizer.json); it warns "pip install sacremoses" without it.
    train_sentencepiece(texts, out_dir, vocab_size=600, filename="source.spm")
    train_sentencepiece(english_texts(), out_dir, vocab_size=400, filename="target.spm")
    pieces: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for name in ("source.spm", "target.spm"):
        proc = spm.SentencePieceProcessor(model_file=str(out_dir / name))
        for i in range(proc.get_piece_size()):
            if not (proc.is_unknown(i) or proc.is_control(i)):
                pieces.setdefault(proc.id_to_piece(i), len(pieces))
    pieces["<pad>"] = len(pieces)
    (out_dir / "vocab.json").write_text(json.dumps(pieces, ensure_ascii=False, indent=0), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        return MarianTokenizer.from_pretrained(out_dir, source_lang="it", target_lang="en")


# --- models -----------------------------------------------------------------------------------------

_SMALL = {"d_model": 32, "layers": 2, "heads": 2, "ffn": 64, "positions": 256}


def _bart_like_kwargs() -> dict:
    return {
        "d_model": _SMALL["d_model"],
        "encoder_layers": _SMALL["layers"],
        "decoder_layers": _SMALL["layers"],
        "encoder_attention_heads": _SMALL["heads"],
        "decoder_attention_heads": _SMALL["heads"],
        "encoder_ffn_dim": _SMALL["ffn"],
        "decoder_ffn_dim": _SMALL["ffn"],
        "max_position_embeddings": _SMALL["positions"],
        "init_std": 0.5,  # the default 0.02 makes tiny outputs ignore the input; tests compare outputs
    }


def _model_and_generation(family: str, tok):
    """Config + GenerationConfig for ``family``; ids follow the real checkpoints of that family.

    In v5 generation parameters (forced_bos_token_id, forced_eos_token_id, bad_words_ids, max_length,
    num_beams...) are no longer read from config.json: they go in generation_config.json.
    """
    import transformers as tf

    ids = {"vocab_size": len(tok), "pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id}
    bart_like = {**ids, **_bart_like_kwargs()}
    gen: dict = {}
    if family in ("t5", "mt5"):
        cls = tf.T5ForConditionalGeneration if family == "t5" else tf.MT5ForConditionalGeneration
        config_cls = tf.T5Config if family == "t5" else tf.MT5Config
        config = config_cls(
            **ids,
            d_model=_SMALL["d_model"],
            d_kv=16,
            d_ff=_SMALL["ffn"],
            num_layers=_SMALL["layers"],
            num_decoder_layers=_SMALL["layers"],
            num_heads=_SMALL["heads"],
            decoder_start_token_id=tok.pad_token_id,
        )
    elif family == "bart":
        cls = tf.BartForConditionalGeneration
        config = tf.BartConfig(
            **bart_like, bos_token_id=tok.bos_token_id, decoder_start_token_id=tok.eos_token_id
        )
        gen = {"forced_bos_token_id": tok.bos_token_id, "forced_eos_token_id": tok.eos_token_id}
    elif family in ("mbart", "mbart50"):
        it = tok.convert_tokens_to_ids("it_IT")
        # mBART-cc25 fine-tunes (ARTeLab) start decoding with the target language code; mBART-50 starts
        # with </s> and forces the language code as the first generated token.
        start = it if family == "mbart" else tok.eos_token_id
        cls = tf.MBartForConditionalGeneration
        config = tf.MBartConfig(
            **bart_like, bos_token_id=tok.bos_token_id, decoder_start_token_id=start, scale_embedding=True
        )
        gen = {"forced_eos_token_id": tok.eos_token_id}
        if family == "mbart50":
            gen["forced_bos_token_id"] = it
    elif family == "marian":
        cls = tf.MarianMTModel
        config = tf.MarianConfig(
            **bart_like,
            decoder_start_token_id=tok.pad_token_id,
            scale_embedding=True,
            share_encoder_decoder_embeddings=True,
        )
        gen = {"forced_eos_token_id": tok.eos_token_id}
    else:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    # Random weights tend to repeat one token; when it is special (pad, a sentinel, a language code) the
    # decoded text is "".  Banning every special but </s> keeps the output visible text.  bad_words_ids,
    # not suppress_tokens: its processor runs before ForcedBOSTokenLogitsProcessor, so a forced <s>/it_IT
    # still gets through at step 1 (suppress_tokens runs after it and would leave only -inf scores).
    gen["bad_words_ids"] = [[i] for i in sorted(set(tok.all_special_ids) - {tok.eos_token_id})]
    generation = tf.GenerationConfig(
        pad_token_id=config.pad_token_id,
        bos_token_id=getattr(config, "bos_token_id", None),
        eos_token_id=config.eos_token_id,
        decoder_start_token_id=config.decoder_start_token_id,
        **gen,
    )
    return cls, config, generation


def build_tiny_model(family: str, out_dir: Path | str, texts: list[str] | None = None) -> Path:
    """Train a tokenizer, build a seeded random model of ``family`` and save both to ``out_dir``.

    The directory loads with ``AutoTokenizer.from_pretrained`` + ``AutoModelForSeq2SeqLM.from_pretrained``;
    the weights depend only on the tokenizer (hence on ``texts``) and ``SEED``.
    """
    import torch

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = corpus_texts() if texts is None else texts
    if family in ("t5", "mt5"):
        # mT5 checkpoints ship no <extra_id_N> tokens in the tokenizer (extra_ids=0); T5 ships 100.
        tok = _t5_tokenizer(out_dir, texts, extra_ids=100 if family == "t5" else 0)
    elif family == "bart":
        tok = _bart_tokenizer(out_dir, texts)
    elif family in ("mbart", "mbart50"):
        tok = _mbart_tokenizer(out_dir, texts, fifty=family == "mbart50")
    else:
        tok = _marian_tokenizer(out_dir, texts)
    cls, config, generation = _model_and_generation(family, tok)
    torch.manual_seed(SEED)
    model = cls(config).eval()
    model.generation_config = generation
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def hub_cache_layout(
    model_dir: Path | str, cache_dir: Path | str, repo_id: str, commit: str = DEFAULT_COMMIT
) -> Path:
    """Copy ``model_dir`` into the Hub cache under ``cache_dir`` (used as ``HF_HOME``); return the snapshot.

    Layout (huggingface_hub "Hub Local Cache" spec): ``<cache_dir>/hub/models--{org}--{name}/refs/main``
    holding ``commit`` and ``snapshots/{commit}/<files>``.  Real caches symlink snapshot files to
    ``blobs/<etag>``; plain files work as well, because offline lookups only check the snapshot path.
    Load with ``HF_HOME=<cache_dir> HF_HUB_OFFLINE=1`` set before transformers is imported, or in-process with
    ``from_pretrained(repo_id, cache_dir=<cache_dir>/hub, local_files_only=True)``.
    """
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise ValueError("commit must be 40 lowercase hex digits (a git sha1)")
    repo = Path(cache_dir) / "hub" / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    shutil.copytree(model_dir, snapshot, dirs_exist_ok=True)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit, encoding="utf-8")  # no trailing newline, like huggingface_hub
    return snapshot


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m tests.tiny_models OUT_DIR [FAMILY ...]   families: {' '.join(FAMILIES)}")
        return 0 if argv else 2
    from transformers.utils import logging

    logging.disable_progress_bar()  # "Writing model shards" bars, one per family
    out, families = Path(argv[0]), argv[1:] or list(FAMILIES)
    if unknown := [f for f in families if f not in FAMILIES]:
        print(f"error: unknown families {unknown}; choose from {' '.join(FAMILIES)}", file=sys.stderr)
        return 2
    texts = corpus_texts()
    for family in families:
        start = time.perf_counter()
        build_tiny_model(family, out / family, texts)
        print(f"{family:8s} {time.perf_counter() - start:5.2f}s  {out / family}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
