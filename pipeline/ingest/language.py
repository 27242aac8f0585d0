"""The language of a text (py3langid): an article's, and a summary's, which the guard checks.

py3langid ships its model LZMA-compressed, and decompressing it took 0.65 s on these machines: more
than the whole of the rest of summarising one article with the extractive summariser
(eval/STARTUP.md). So the first run keeps the decompressed arrays (68 MB, NumPy's own format, no
pickle) in the cache (`itnews.core.cache`), and later runs map them back in a few hundredths of a
second, with less memory than decompressing took (the weights stay mapped: a one-article
`itnews summarise` peaks at 134 MB instead of 159, eval/STARTUP.md). The identifier is the
library's, with the same arrays: only where they are read from changes.
"""

from __future__ import annotations

import functools
from pathlib import Path

from itnews.core.cache import cache_folder, write_folder

# The model's arrays as py3langid.modelio.load_model returns them, in its order, and how each is
# held: a NumPy array, a list, or a stdlib array (the identifier's DFA walks those from Python).
ARRAYS = (
    ("ptc", "numpy"),
    ("pc", "numpy"),
    ("classes", "list"),
    ("nextmove", "array"),
    ("nextmove_row", "array"),
    ("out_feat", "list"),
)


def model_folder(model_file: Path) -> Path:
    from importlib.metadata import version

    stat = model_file.stat()
    return cache_folder("py3langid", f"{version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}")


def read_cached(folder: Path) -> tuple | None:
    import numpy as np

    if not folder.is_dir():
        return None
    try:  # mapped, not read: the stdlib arrays copy from the page cache, never through a second copy
        stored = [np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name, _ in ARRAYS]
    except (OSError, ValueError):  # a damaged cache: decompress again
        return None
    model = []
    for (_, kind), values in zip(ARRAYS, stored, strict=True):
        if kind == "list":
            model.append(values.tolist())
        elif kind == "array":
            model.append(as_stdlib_array(values))
        else:  # left mapped: classifying reads the rows of the features it meets, a few pages
            model.append(values)
    return tuple(model)


def as_stdlib_array(values):
    from array import array

    typecode = {2: "H", 4: "I", 8: "L"}[values.dtype.itemsize]
    result = array(typecode)
    result.frombytes(memoryview(values).cast("B"))
    return result


def write_arrays(model: tuple):
    import numpy as np

    def write(scratch: Path) -> None:
        for (name, kind), values in zip(ARRAYS, model, strict=True):
            if kind == "array":
                values = np.frombuffer(values, dtype=np.dtype(values.typecode))
            np.save(scratch / f"{name}.npy", np.asarray(values), allow_pickle=False)

    return write


@functools.cache
def language_identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import load_model

    model_file = Path(MODEL_DIR) / MODEL_FILE
    folder = model_folder(model_file)
    model = read_cached(folder)
    if model is None:
        model = load_model(model_file)
        write_folder(folder, write_arrays(model))
    ptc, pc, classes, nextmove, row, output = model
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability, from the first few thousand characters."""
    lang, probability = language_identifier().classify(text[:5000])
    return lang, float(probability)
