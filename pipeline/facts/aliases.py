"""The other forms of a name: Italian and English names, demonyms, acronyms and their expansions
("Francia", "France", "francese", "French"; "Onu", "Nazioni Unite", "UN"), from the package's data
file aliases.toml (its header says how a form's case is read).

Read on the guard's first check, not at import: `aliases()` parses the file once and keeps it.
Names are compared by key: a single word folded ("usa"), several words folded and joined by "_"
("nazioni_unite", "fratelli_d_italia").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from itnews.facts.fact import fold

WORD = re.compile(r"\w+")
# How an article must write a form, from the most lenient: "lower" in any case, "title" capitalised,
# "caps" in capitals.
CASES = ("lower", "title", "caps")


@dataclass(frozen=True)
class Aliases:
    """``groups``: each key's forms, itself included (the union of every group it is in; a country's
    and its capital's are one); ``case``: how an article must write each single-word key; ``phrases``: the
    keys of several words by their first word, longest first; ``descriptors``: words that, alone
    after an article, name by its kind what the article names ("nel nostro Paese")."""

    groups: dict[str, frozenset[str]]
    case: dict[str, str]
    phrases: dict[str, tuple[str, ...]]
    descriptors: frozenset[str]

    def forms(self, key: str) -> frozenset[str]:
        return self.groups.get(key, frozenset((key,)))


def key(form: str) -> str:
    return "_".join(WORD.findall(fold(form)))


def _case(form: str) -> str:
    if len(form) > 1 and form.isupper():
        return "caps"
    return "title" if form[:1].isupper() else "lower"


@functools.cache
def aliases() -> Aliases:
    import tomllib  # imported here, 9 ms with importlib.resources: paid on the first name checked
    from importlib import resources

    text = resources.files("itnews.facts").joinpath("aliases.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    capitals = table.pop("capitals")
    descriptors = frozenset(fold(word) for word in table.pop("descriptors"))
    groups: dict[str, set[str]] = {}
    case: dict[str, str] = {}
    phrases: dict[str, set[str]] = {}
    for section in table.values():
        for first, others in section.items():
            forms = [first, *others]
            keys = {key(f) for f in forms}
            for form in forms:
                k = key(form)
                groups.setdefault(k, set()).update(keys)
                if "_" in k:
                    phrases.setdefault(k.split("_")[0], set()).add(k)
                else:
                    case[k] = min(case.get(k, "caps"), _case(form), key=CASES.index)
    for country, seats in capitals.items():
        seat_forms = set().union(*(groups.get(key(seat), {key(seat)}) for seat in seats))
        country_forms = set(groups[key(country)])
        for form in country_forms | seat_forms:
            groups[form] = groups.get(form, {form}) | country_forms | seat_forms
    return Aliases(
        {k: frozenset(v) for k, v in groups.items()},
        case,
        {first: tuple(sorted(keys, key=len, reverse=True)) for first, keys in phrases.items()},
        descriptors,
    )


@functools.cache
def phrase_pattern(phrase_key: str) -> re.Pattern:
    """A known name of several words in folded text, any punctuation between its words
    ("fratelli d’italia", "movimento 5 stelle")."""
    return re.compile(r"(?<!\w)" + r"\W+".join(phrase_key.split("_")) + r"(?!\w)")
