"""Names in Italian and English text: people, organisations, places, products, as facts.

Proper-name sequences ("Sam Altman", "Banca d'Italia", "Cassa Depositi e Prestiti"), acronyms in
any case (AWS, Aws) and their English plurals (GPUs: GPU), CamelCase names (OpenAI), with elisions
and articulated prepositions stripped ("dell'OpenAI", "all'Aws"). A lone capitalised word at a
sentence start is a name only when its stem is no common word's (wordfreq's word lists, PyStemmer).
The known names of several words of `itnews.facts.aliases` ("Unione europea", "Formula 1") are
found with their lower-case words and digits and are one token of their name's key. Each name's
key is what `itnews.facts.support` looks up, through the aliases, in the article.
`itnews.facts.extract.extract_facts` gives these with the figures.

Libraries:
- wordfreq's small word lists (Zipf >= 3) and PyStemmer tell a common word from a name (the
  tables cost ~0.12 s to build, so they are built once and kept: `word_tables`): a lone capitalised
  word at a sentence start ("Ricercatori", "Restorers") is a name only when its stem is no common
  word's, and `itnews.facts.support` skips descriptors ("Corridor", "Prize").
- stop-words drops articles and prepositions that open a name ("Il Napoli", "The Hague").
- Refused: spaCy's blank Italian tokenizer splits "dell'OpenAI" at the elision as the name pattern
  here does, but takes 1.5 s to load and 4.3 ms an article, about three times the whole of the
  facts' extraction.
"""

from __future__ import annotations

import bisect
import functools
import math
import re

from itnews.core.cache import cached_json
from itnews.facts.aliases import aliases, phrase_pattern
from itnews.facts.fact import MONTH_NUMBER, WEEKDAYS, Fact, fold

ELISIONS = frozenset({"l", "all", "dell", "nell", "dall", "sull", "coll", "un", "quest", "quell", "c", "s",
                      "n"})  # fmt: skip
CONNECTORS = frozenset({"di", "del", "della", "dello", "dei", "degli", "delle", "de", "d", "dell", "of",
                        "the", "von", "van", "der", "y"})  # fmt: skip
AND_WORDS = frozenset({"e", "ed", "and", "&"})
SENTENCE_START = frozenset('.!?…\n«“"–—•*')
UPPER = "".join(c for c in map(chr, range(0x250)) if c.isupper())
_TOKEN = rf"[{UPPER}]\w*(?:['’][{UPPER}]\w*|-\w+)*"
_CONNECTOR = "|".join(CONNECTORS | AND_WORDS)
_LINK = rf"(?:[ \t]+(?:{_CONNECTOR})){{1,2}}[ \t]+|[ \t]+d(?:ell)?['’]|[ \t]+"  # "Summit of the Future"
NAME_PATTERN = re.compile(rf"(?<!\w){_TOKEN}(?:(?:{_LINK}){_TOKEN})*")
NAME_PART = re.compile(rf"d(?:ell)?['’]|{_TOKEN}|\S+")
NAME_SPLIT = re.compile(r"[\W_]+")
CAPITALISED_WORD = re.compile(rf"(?<!\w)[{UPPER}]\w*")
ACRONYM_PLURAL = re.compile(rf"(?<!\w)([{UPPER}]{{2,}})s(?!\w)")  # English "GPUs", "NGOs"
PHRASE_WINDOW = 100  # characters: the longest known name of several words has 70


def names(text: str, lang: str) -> list[Fact]:
    """Capitalised proper-name sequences, connectors inside kept in the span ("Banca d'Italia"), and
    the known names of several words, lower-case words included ("Unione europea"), each one token
    of the name it is in ("Gran Premio d'Italia": gran_premio italia)."""
    stops = stop_words(lang)
    phrases = known_phrases(text)
    starts = [start for start, _, _ in phrases]

    def phrase_at(position: int) -> tuple[int, int, str] | None:
        i = bisect.bisect_right(starts, position) - 1  # the phrases are in text order, apart
        return phrases[i] if i >= 0 and position < phrases[i][1] else None

    candidates = []  # (cleaned tokens with their offsets, whether the first starts a sentence)
    for match in NAME_PATTERN.finditer(text):
        if match[0].isalpha():  # one plain word, most matches: "Il", "Secondo", "Faenza"
            word = match[0].lower()
            kept = word not in stops or _acronym_or_known(match[0], match.start(), phrase_at)
            if len(word) > 1 and word not in WEEKDAYS and word not in MONTH_NUMBER and kept:
                candidates.append(([(match[0], match.start())], _is_sentence_start(text, match.start())))
            continue
        parts = [(m[0], match.start() + m.start()) for m in NAME_PART.finditer(match[0])]
        initial = _is_sentence_start(text, match.start())
        while parts and fold(parts[0][0]) in stops and not _acronym_or_known(*parts[0], phrase_at):
            parts.pop(0)  # "Il Napoli", "Tra Francia"
            initial = False
        for group in _split_at_and(parts, phrase_at):
            tokens = [(c, s + max(t.find(c), 0)) for t, s in group if (c := _clean_token(t))]
            # only a name's first word can start a sentence: "A Faenza" does not make Faenza common
            if tokens:
                candidates.append((tokens, initial and tokens[0][1] == match.start()))
    mid_sentence = {fold(t) for tokens, initial in candidates for t, _ in tokens[int(initial) :]}
    facts, merged = [], set()
    for tokens, initial in candidates:
        if initial and not phrase_at(tokens[0][1]) and not _looks_like_name(tokens[0][0], lang, mid_sentence):
            if len(tokens) == 1:
                continue  # a lone common word opening a sentence: "Ricercatori", "Restorers"
            if len(tokens) > 2:  # a common word before a full name: "Meteorologist Lorenzo Tedici"
                tokens = tokens[1:]  # (a name of two stays whole: "Villa Giulia")
        keys, start, end = [], tokens[0][1], 0
        for token, position in tokens:
            if phrase := phrase_at(position):
                if phrase not in merged:
                    keys.append(phrase[2])
                    merged.add(phrase)
                start, end = min(start, phrase[0]), max(end, phrase[1])
            else:
                keys += name_tokens(_singular(token))
                end = max(end, position + len(token))
        if keys:
            facts.append(Fact(text[start:end], "name", " ".join(keys), None, False, start, end))
    facts += [
        Fact(text[s:e], "name", key, None, False, s, e) for s, e, key in phrases if (s, e, key) not in merged
    ]
    return sorted(facts, key=lambda f: f.start)


def known_phrases(text: str) -> list[tuple[int, int, str]]:
    """Start, end and key of the known names of several words (aliases.toml) that start with a
    capital: Italian writes "Unione europea", "Banca centrale europea" with lower-case words."""
    table = aliases().phrases
    found: list[tuple[int, int, str]] = []
    for match in CAPITALISED_WORD.finditer(text):
        first = match[0].lower()
        if (keys := table.get(first if first.isascii() else fold(first))) is None or (
            found and match.start() < found[-1][1]
        ):
            continue
        window = text[match.start() : match.start() + PHRASE_WINDOW]
        folded = fold(window)
        if len(folded) != len(window):  # a character that folds to two ("ß"): offsets would shift
            continue
        if phrase := next(((k, m) for k in keys if (m := phrase_pattern(k).match(folded))), None):
            found.append((match.start(), match.start() + phrase[1].end(), phrase[0]))
    return found


def name_tokens(name: str) -> list[str]:
    """Folded tokens of a name, apostrophes and hyphens splitting ("D'Alessandro" -> alessandro)."""
    return [t for t in NAME_SPLIT.split(fold(name)) if len(t) > 1 and not t.isdigit()]


def _singular(token: str) -> str:
    """An acronym's English plural read as the acronym: "GPUs" is GPU."""
    return match[1] if (match := ACRONYM_PLURAL.fullmatch(token)) else token


def _acronym_or_known(token: str, start: int, phrase_at) -> bool:
    """A stop word kept as a name: in capitals ("UN", not "un") or opening a known name ("Stati Uniti")."""
    return (len(token) > 1 and token.isupper()) or bool(phrase_at(start))


def _is_sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start].rstrip(" \t")
    return not before or before[-1] in SENTENCE_START


def _clean_token(token: str) -> str | None:
    """A name token without a leading elision ("L'Istat" -> Istat) or lowercase hyphen part
    ("Abruzzo-born" -> Abruzzo); None for connectors, months, weekdays and leftovers."""
    if fold(token).rstrip("'’") in CONNECTORS:
        return None
    head, sep, rest = token.partition("'") if "'" in token else token.partition("’")
    if sep and fold(head) in ELISIONS:
        token = rest
    token = "-".join(p for p in token.split("-") if p[:1].isupper())
    if len(token) < 2 or token.lower() in WEEKDAYS or token.lower() in MONTH_NUMBER:
        return None
    return token


def _split_at_and(parts: list[tuple[str, int]], phrase_at) -> list[list[tuple[str, int]]]:
    """ "Francia e Spagna" are two names, "Cassa Depositi e Prestiti" one: "e"/"and" joins a single
    word to a longer name before it, unless the word opens a known name ("Stati Uniti e Unione
    europea")."""
    segments: list[list[tuple[str, int]]] = [[]]
    for token, start in parts:
        if token.lower() in AND_WORDS:
            segments.append([])
        else:
            segments[-1].append((token, start))
    groups = [segments[0]]
    for segment in segments[1:]:
        if len(groups[-1]) >= 2 and len(segment) == 1 and not phrase_at(segment[0][1]):
            groups[-1] = groups[-1] + segment
        else:
            groups.append(segment)
    return [g for g in groups if g]


def _looks_like_name(token: str, lang: str, mid_sentence: set[str]) -> bool:
    """A lone capitalised word at a sentence start is a name when it has inner capitals (OpenAI,
    AWS), appears capitalised mid-sentence too, is a known name, or its Snowball stem is no common
    word's ("Restorers" is common through "restore")."""
    word = fold(token)
    if any(c.isupper() for c in token[1:]) or word in mid_sentence or word in aliases().groups:
        return True
    return stemmer(lang).stemWord(word) not in common_stems(lang)


@functools.cache
def lexicon(lang: str) -> dict[str, float]:
    """Zipf frequency (log10 per billion words) of the common words (Zipf >= 3) of Italian, or of
    English for any other language, folded, from wordfreq's small lists."""
    return word_tables("it" if lang == "it" else "en")["zipf"]


@functools.cache
def common_stems(lang: str) -> frozenset[str]:
    return frozenset(word_tables("it" if lang == "it" else "en")["common_stems"])


@functools.cache
def word_tables(lang: str) -> dict:
    """The lexicon and its stems, built once and kept (`itnews.core.cache`): importing wordfreq and
    stemming its lists cost 0.12 s of a one-article `itnews summarise` (eval/STARTUP.md), reading
    them back 0.01 s. Keyed by the libraries' versions and by this module's and fact.py's source,
    so that a change to `fold` or to the tables builds them anew."""
    import hashlib
    from importlib.metadata import version
    from pathlib import Path

    here = Path(__file__).parent
    source = hashlib.sha1((here / "names.py").read_bytes() + (here / "fact.py").read_bytes()).hexdigest()
    key = f"{lang}-wordfreq{version('wordfreq')}-pystemmer{version('PyStemmer')}-{source[:12]}"
    return cached_json("word-tables", key, lambda: build_word_tables(lang))


def build_word_tables(lang: str) -> dict:
    from wordfreq import get_frequency_dict

    zipf: dict[str, float] = {}
    for word, frequency in get_frequency_dict(lang, "small").items():
        key = fold(word)
        zipf[key] = max(zipf.get(key, -9.0), math.log10(frequency * 1e9))
    return {"zipf": zipf, "common_stems": sorted(set(stemmer(lang).stemWords(list(zipf))))}


@functools.cache
def stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer("italian" if lang == "it" else "english")


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    return frozenset(get_stop_words(lang if lang in LANGUAGE_MAPPING else "en"))
