"""Names in Italian and English text: people, organisations, places, products, as facts.

Proper-name sequences ("Sam Altman", "Banca d'Italia", "Cassa Depositi e Prestiti"), acronyms in
any case (AWS, Aws), CamelCase names (OpenAI), with elisions and articulated prepositions stripped
("dell'OpenAI", "all'Aws"). A lone capitalised word at a sentence start is a name only when its stem
is no common word's (wordfreq's word lists, PyStemmer). `itnews.facts.extract.extract_facts` gives
these with the figures; the aliases table maps the frequent names whose Italian and English forms
differ.

Libraries:
- wordfreq's small word lists (Zipf >= 3, 12 ms to load) and PyStemmer tell a common word from a
  name: a lone capitalised word at a sentence start ("Ricercatori", "Restorers") is a name only
  when its stem is no common word's, and `itnews.facts.support` skips descriptors ("Corridor",
  "Prize").
- stop-words drops articles and prepositions that open a name ("Il Napoli", "The Hague").
- Refused: spaCy's blank Italian tokenizer splits "dell'OpenAI" at the elision as the name pattern
  here does, but takes 1.5 s to load and 4.3 ms an article, about three times the whole of the
  facts' extraction.
"""

from __future__ import annotations

import functools
import math
import re

from itnews.facts.fact import MONTH_NUMBER, WEEKDAYS, Fact, fold

ELISIONS = frozenset({"l", "all", "dell", "nell", "dall", "sull", "coll", "un", "quest", "quell", "c", "s",
                      "n"})  # fmt: skip
CONNECTORS = frozenset({"di", "del", "della", "dello", "dei", "degli", "delle", "de", "d", "dell", "of",
                        "the", "von", "van", "der", "y"})  # fmt: skip
AND_WORDS = frozenset({"e", "ed", "and", "&"})
SENTENCE_START = frozenset('.!?…\n«“"–—•*')
# Frequent news names whose Italian and English forms differ, one group of folded tokens between
# bars, several-word names joined by "_". No library maps them offline (Wikidata's labels would,
# from a multi-gigabyte dump); the places and bodies Italian news names most often fit a short
# table, and the name tokens it misses may still match by stem (itnews.facts.support).
ALIAS_GROUPS = """
roma rome | milano milan | napoli naples | firenze florence | venezia venice | torino turin
genova genoa | padova padua | mantova mantua | siracusa syracuse | sicilia sicily | sardegna sardinia
toscana tuscany | lombardia lombardy lombardo lombarda | piemonte piedmont | puglia apulia
appennino appennini appenninico apennine apennines | alpi alps | vaticano vatican | bruxelles brussels
italia italy italian italiano italiana italiani italiane | europa europe european europeo europea ue eu
francia france french francese | germania germany german tedesco | spagna spain spanish spagnolo
stati_uniti united_states usa statunitense statunitensi american americano americani americana
regno_unito united_kingdom uk britain | bce ecb banca_centrale_europea european_central_bank | fmi imf
onu united_nations nazioni_unite | senato senate | camera chamber | parigi paris | londra london
berlino berlin | mosca moscow | ucraina ukraine | russia russian | cina china | grecia greece
olimpiadi olimpico olimpica olympics olympic | svizzera switzerland swiss | gran_premio grand_prix
"""
ALIASES = {t: frozenset(g.split()) for g in ALIAS_GROUPS.replace("\n", "|").split("|") for t in g.split()}
GAZETTEER = frozenset(ALIASES)


UPPER = "".join(c for c in map(chr, range(0x250)) if c.isupper())
_TOKEN = rf"[{UPPER}]\w*(?:['’][{UPPER}]\w*|-\w+)*"
_LINK = rf"[ \t]+(?:{'|'.join(CONNECTORS | AND_WORDS)})[ \t]+|[ \t]+d(?:ell)?['’]|[ \t]+"
NAME_PATTERN = re.compile(rf"(?<!\w){_TOKEN}(?:(?:{_LINK}){_TOKEN})*")
NAME_PART = re.compile(rf"d(?:ell)?['’]|{_TOKEN}|\S+")
NAME_SPLIT = re.compile(r"[\W_]+")


def names(text: str, lang: str) -> list[Fact]:
    """Capitalised proper-name sequences, connectors inside kept in the span ("Banca d'Italia")."""
    stops = stop_words(lang)
    candidates = []  # (cleaned tokens with their offsets, whether the first starts a sentence)
    for match in NAME_PATTERN.finditer(text):
        if match[0].isalpha():  # one plain word, most matches: "Il", "Secondo", "Faenza"
            word = match[0].lower()
            if len(word) > 1 and word not in stops and word not in WEEKDAYS and word not in MONTH_NUMBER:
                candidates.append(([(match[0], match.start())], _is_sentence_start(text, match.start())))
            continue
        parts = [(m[0], match.start() + m.start()) for m in NAME_PART.finditer(match[0])]
        initial = _is_sentence_start(text, match.start())
        while parts and fold(parts[0][0]) in stops and not _known_pair(parts):  # "Il Napoli", "Tra Francia"
            parts.pop(0)
            initial = False
        for group in _split_at_and(parts):
            tokens = [(c, s + max(t.find(c), 0)) for t, s in group if (c := _clean_token(t))]
            # only a name's first word can start a sentence: "A Faenza" does not make Faenza common
            if tokens:
                candidates.append((tokens, initial and tokens[0][1] == match.start()))
    mid_sentence = {fold(t) for tokens, initial in candidates for t, _ in tokens[int(initial) :]}
    facts = []
    for tokens, initial in candidates:
        if initial and len(tokens) == 1 and not _looks_like_name(tokens[0][0], lang, mid_sentence):
            continue
        if key := " ".join(name_tokens(" ".join(t for t, _ in tokens))):
            start, end = tokens[0][1], tokens[-1][1] + len(tokens[-1][0])
            facts.append(Fact(text[start:end], "name", key, None, False, start, end))
    return facts


def name_tokens(name: str) -> list[str]:
    """Folded tokens of a name, apostrophes and hyphens splitting ("D'Alessandro" -> alessandro),
    known names of two or three words joined ("Stati Uniti" -> stati_uniti)."""
    tokens = [t for t in NAME_SPLIT.split(fold(name)) if len(t) > 1 and not t.isdigit()]
    for size in (3, 2):
        for i in range(len(tokens) - size, -1, -1):
            if (phrase := "_".join(tokens[i : i + size])) in GAZETTEER:
                tokens[i : i + size] = [phrase]
    return tokens


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


def _known_pair(tokens: list[tuple[str, int]]) -> bool:
    """Whether the name opens with a two-word known name ("Stati Uniti": "stati" is a stop word)."""
    return len(tokens) > 1 and fold(f"{tokens[0][0]}_{tokens[1][0]}") in GAZETTEER


def _split_at_and(parts: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """ "Francia e Spagna" are two names, "Cassa Depositi e Prestiti" one: "e"/"and" joins a single
    word to a longer name before it."""
    segments: list[list[tuple[str, int]]] = [[]]
    for token, start in parts:
        if token.lower() in AND_WORDS:
            segments.append([])
        else:
            segments[-1].append((token, start))
    groups = [segments[0]]
    for segment in segments[1:]:
        if len(groups[-1]) >= 2 and len(segment) == 1:
            groups[-1] = groups[-1] + segment
        else:
            groups.append(segment)
    return [g for g in groups if g]


def _looks_like_name(token: str, lang: str, mid_sentence: set[str]) -> bool:
    """A lone capitalised word at a sentence start is a name when it has inner capitals (OpenAI,
    AWS), appears capitalised mid-sentence too, is a known name, or its Snowball stem is no common
    word's ("Restorers" is common through "restore")."""
    word = fold(token)
    if any(c.isupper() for c in token[1:]) or word in mid_sentence or word in GAZETTEER:
        return True
    return stemmer(lang).stemWord(word) not in common_stems(lang)


@functools.cache
def lexicon(lang: str) -> dict[str, float]:
    """Zipf frequency (log10 per billion words) of the common words (Zipf >= 3) of Italian, or of
    English for any other language, folded, from wordfreq's small lists."""
    from wordfreq import get_frequency_dict

    zipf: dict[str, float] = {}
    for word, frequency in get_frequency_dict("it" if lang == "it" else "en", "small").items():
        key = fold(word)
        zipf[key] = max(zipf.get(key, -9.0), math.log10(frequency * 1e9))
    return zipf


@functools.cache
def stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer("italian" if lang == "it" else "english")


@functools.cache
def common_stems(lang: str) -> frozenset[str]:
    return frozenset(stemmer(lang).stemWords(list(lexicon(lang))))


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    return frozenset(get_stop_words(lang if lang in LANGUAGE_MAPPING else "en"))
