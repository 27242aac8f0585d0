"""The language of a text (py3langid): an article's, and a summary's, which the guard checks."""

from __future__ import annotations

import functools


@functools.cache
def language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and probability, from the first few thousand characters."""
    lang, probability = language_identifier().classify(text[:5000])
    return lang, float(probability)
