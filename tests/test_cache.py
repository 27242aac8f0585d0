"""Tables kept between runs (itnews.core.cache): the language identifier's model and the guard's word
tables read back from the cache give what building them gives, and a cache that is missing, damaged
or cannot be written never changes an answer."""

import json

import numpy as np
import pytest
from huggingface_hub import constants
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from itnews.facts import names
from itnews.ingest import language

TEXTS = [
    "Il Senato ha approvato in via definitiva la legge di bilancio con 109 voti favorevoli.",
    "The Senate gave final approval to the budget law with 109 votes in favour.",
    "Le Sénat a approuvé définitivement la loi de finances.",
    "Der Bundestag hat den Haushalt beschlossen.",
    "Manovra",
]


@pytest.fixture
def hf_home(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HOME", str(tmp_path))
    cached = (language.language_identifier, names.word_tables, names.lexicon, names.common_stems)
    for function in cached:
        function.cache_clear()
    yield tmp_path
    for function in cached:
        function.cache_clear()


def classify_all(identifier) -> list[tuple[str, float]]:
    return [identifier.classify(text) for text in TEXTS]


def test_cached_model_classifies_as_the_library_does(hf_home):
    library = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    first = language.language_identifier()  # decompresses and writes the cache
    (folder,) = (hf_home / "itnews" / "py3langid").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.npy" for name, _ in language.ARRAYS)
    language.language_identifier.cache_clear()
    second = language.language_identifier()  # reads it back
    assert classify_all(first) == classify_all(library) == classify_all(second)
    assert [lang for lang, _ in classify_all(second)[:4]] == ["it", "en", "fr", "de"]


def test_damaged_cache_is_decompressed_again(hf_home):
    folder = language.model_folder(MODEL_DIR / MODEL_FILE)
    folder.mkdir(parents=True)
    np.save(folder / "ptc.npy", np.zeros(3))
    (folder / "pc.npy").write_bytes(b"not an array")
    identifier = language.language_identifier()
    assert identifier.classify(TEXTS[0])[0] == "it"
    assert language.read_cached(folder) is not None  # written anew


def test_unwritable_cache_still_identifies(hf_home):
    (hf_home / "itnews").write_text("a file where the folder would go")
    identifier = language.language_identifier()
    assert identifier.classify(TEXTS[1])[0] == "en"
    assert (hf_home / "itnews").read_text() == "a file where the folder would go"


def test_word_tables_read_back_equal_the_built_ones(hf_home):
    built = names.build_word_tables("it")
    assert names.word_tables("it") == built  # built, and kept
    (folder,) = (hf_home / "itnews" / "word-tables").iterdir()
    names.word_tables.cache_clear()
    assert names.word_tables("it") == built  # read back
    assert built["zipf"]["governo"] > 4 and names.stemmer("it").stemWord("governi") in built["common_stems"]
    (folder / "table.json").write_text('{"zipf": {', encoding="utf-8")  # damaged
    names.word_tables.cache_clear()
    assert names.word_tables("it") == built
    assert json.loads((folder / "table.json").read_text(encoding="utf-8")) == built  # written anew
