"""Figures and dates in Italian and English text: amounts, numbers, percentages, durations, dates.

Speed sets the design: one pattern with every form, tried at every position, cost 8 ms an article
(Python's regex engine tries each alternative at each character), so figures are found from anchors
(digit runs, and the month and number words a set intersection finds among the text's words) and
the full pattern is matched there only; an article's figures take ~0.7 ms.

Paraphrase writes the same figure in other forms, read here as one value (eval/PARAPHRASE.md):
ages ("65enne", "ventiduenne": 65, 22 years, as "65-year-old"), round counts ("una trentina": about
30), half units and centuries ("due anni e mezzo", "mezzo secolo"), Italian ordinals ("79ma",
"ventiquattresima"), times of day ("17:30", "5.30 pm", "le tre del pomeriggio": 17.30, 17.30, 15),
a day and month after an article ("il 25/9"), "il primo gennaio", ranges whose unit or scale is
written once ("da 10 a 5 anni", "10-15 mila"), spans of years in one word ("decennale": ten years)
and years of two digits after an apostrophe ("nel '68").

Libraries:
- text2num reads number words. Italian ones are looked up in a table of every word up to 999 and
  its thousands, built once (~90 ms) from morphemes with text2num keeping the real words; English
  ones ("thirty-eight", "two hundred and fifty") go to text2num (16 us a call). Its `alpha2digit`
  is not used: it rewrites the whole text (offsets lost, 0.37 ms an article) and misreads
  fractions and halves ("un terzo" -> "un 3º"; "mezzo milione" is left unread), which the
  pattern below reads.
- Refused: babel's `parse_decimal(locale="it_IT")` takes 64 us a call and, not strict, reads "1.5"
  as 15; the two separator conventions are a few lines here. dateparser takes 0.6 s to import and
  warm up, 3.7 ms a `parse`, and finds dates in running text only with `search_dates` (17 ms a
  sentence), which read "ottobre e" as 3 October (today's day) and "12/10/2025" as 10 December;
  news writes dates in five patterns over 24 month names.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re

from itnews.facts.fact import MONTH_ABBREVIATIONS, MONTH_NUMBER, MONTHS, Fact

CURRENCIES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "USD", "us$": "USD", "usd": "USD", "dollaro": "USD", "dollari": "USD", "dollar": "USD",
    "dollars": "USD",
    "£": "GBP", "gbp": "GBP", "sterlina": "GBP", "sterline": "GBP", "pound": "GBP", "pounds": "GBP",
    "chf": "CHF", "franchi svizzeri": "CHF", "franco svizzero": "CHF", "swiss francs": "CHF",
}  # fmt: skip
SCALES = {
    "mila": 1e3, "thousand": 1e3, "k": 1e3,
    "milione": 1e6, "milioni": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6, "mn": 1e6, "m": 1e6,
    "miliardo": 1e9, "miliardi": 1e9, "mld": 1e9, "mrd": 1e9, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "trillion": 1e12,
}  # fmt: skip
DURATIONS = {
    "anno": "year", "anni": "year", "year": "year", "years": "year",
    "mese": "month", "mesi": "month", "month": "month", "months": "month",
    "settimana": "week", "settimane": "week", "week": "week", "weeks": "week",
    "giorno": "day", "giorni": "day", "day": "day", "days": "day",
    "ora": "hour", "ore": "hour", "hour": "hour", "hours": "hour",
    "minuto": "minute", "minuti": "minute", "minute": "minute", "minutes": "minute",
    "secondi": "second", "second": "second", "seconds": "second",  # not "secondo": "according to"
    "decennio": "decade", "decenni": "decade", "decade": "decade", "decades": "decade",
    "secolo": "century", "secoli": "century", "century": "century", "centuries": "century",
}  # fmt: skip
FRACTIONS = {"terzo": 3, "terzi": 3, "third": 3, "thirds": 3, "quarto": 4, "quarti": 4, "quarter": 4,
             "quarters": 4}  # fmt: skip
# Spans of years as one Italian word: "un contratto decennale" is a ten-year contract.
YEAR_SPANS = {"biennale": 2, "biennio": 2, "triennale": 3, "triennio": 3, "quadriennale": 4, "quadriennio": 4,
              "quinquennale": 5, "quinquennio": 5, "decennale": 10, "ventennale": 20, "ventennio": 20,
              "trentennale": 30, "cinquantennale": 50, "centenario": 100}  # fmt: skip
ELIDED_TENS = ("vent", "trent", "quarant", "cinquant", "sessant", "settant", "ottant", "novant")  # trent'anni
# "una trentina di minuti", "un centinaio di account": about that many (the plurals "centinaia",
# "migliaia" are vaguer and left out).
ROUND_COUNTS = {"decina": 10, "dozzina": 12, "quindicina": 15, "ventina": 20, "trentina": 30,
                "quarantina": 40, "cinquantina": 50, "sessantina": 60, "settantina": 70, "ottantina": 80,
                "novantina": 90, "centinaio": 100, "migliaio": 1000}  # fmt: skip
# Words after a figure that make "ora" the time of day, not an hour: "alle 23.10 ora locale".
CLOCK_TIME = r"\s+(?:locale|italiana|legale|solare)"
# A day and month without a year ("il 25/9") is a date only after one of these: "1/3" is a fraction.
DAY_MONTH_BEFORE = frozenset({"il", "al", "dal", "del", "nel", "sul", "all'", "dall'", "dell'", "l'", "all’",
                              "dall’", "dell’", "l’"})  # fmt: skip
SMALL_NUMBERS = {"un": 1, "una": 1, "a": 1, "one": 1, "due": 2, "two": 2, "tre": 3, "three": 3}
EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
              "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
              "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}  # fmt: skip
# How a marker before a figure bounds the true value: "~" about, ">" at or just above, "<" at or
# just below. Looked up on the last words before the figure, an article or preposition dropped.
APPROX_MARKERS = {
    "circa": "~", "intorno": "~", "attorno": "~", "oltre": ">", "ben oltre": ">", "più": ">", "poco più": ">",
    "almeno": ">", "superiore": ">", "quasi": "<", "meno": "<", "poco meno": "<", "fino": "<",
    "inferiore": "<", "about": "~", "around": "~", "roughly": "~", "approximately": "~", "some": "~",
    "more than": ">", "over": ">", "above": ">", "at least": ">", "nearly": "<", "almost": "<",
    "less than": "<", "under": "<", "below": "<", "up to": "<",
}  # fmt: skip
MARKER_LINKS = frozenset({"il", "lo", "la", "i", "gli", "le", "l'", "l’", "al", "allo", "alla", "ai", "agli",
                          "alle", "all'", "all’", "a", "di", "del", "dello", "della", "dei", "degli", "delle",
                          "dell'", "dell’"})  # fmt: skip


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@functools.cache
def italian_numbers() -> dict[str, int]:
    """Every Italian number word up to 999 and its thousands ("tremila"): morphemes glued with and
    without the elided vowel ("ventotto", "centottanta"), kept when text2num reads them."""
    from text_to_num import text2num

    units = ("uno", "due", "tre", "tré", "quattro", "cinque", "sei", "sette", "otto", "nove")
    teens = ("dieci", "undici", "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette",
             "diciotto", "diciannove")  # fmt: skip
    tens = ("venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta", "ottanta", "novanta")
    below_100 = {*units, *teens, *tens, *(t + u for t in tens for u in units)}
    below_100 |= {t[:-1] + u for t in tens for u in units}  # "ventuno", "ventotto"
    hundreds = {"cento", *(u + "cento" for u in units[1:] if u != "tré")}
    below_1000 = below_100 | hundreds | {h + x for h in hundreds for x in below_100}
    below_1000 |= {h[:-1] + x for h in hundreds for x in below_100 if x[0] == "o"}  # "centottanta"
    candidates = below_1000 | {"mille"} | {x + "mila" for x in below_1000 - {"uno"}}
    words = {}
    for word in candidates:
        with contextlib.suppress(ValueError):
            words[word] = text2num(word, "it")
    return words


@functools.cache
@functools.cache
def italian_ages_and_ordinals() -> tuple[dict[str, int], dict[str, int]]:
    """Ages ("ventiduenne", "ottantenne": a 22-, an 80-year-old) and ordinals from 11 up
    ("ventiquattresima", "trentesimo"), from the number words: the final vowel dropped, or a final
    "e" kept ("ventidue" + "nne")."""
    ages, ordinals = {}, {}
    for word, number in italian_numbers().items():
        stem = word[:-1] if word[-1] in "aeioé" else word
        if 10 <= number <= 110:
            ages[stem + "enne"] = number
            if word.endswith("e"):
                ages[word + "nne"] = number
        if 11 <= number <= 1000:
            ordinals.update({stem + ending: number for ending in ("esimo", "esima", "esimi", "esime")})
    return ages, ordinals


@functools.cache
def _vocabulary(lang: str) -> tuple[frozenset[str], frozenset[str]]:
    """Words that can start a figure or a date, and those that start one only before a scale or a
    fraction word ("un milione", "un terzo", "half a million")."""
    if lang == "it":
        ages, ordinals = italian_ages_and_ordinals()
        words = {*italian_numbers(), *ELIDED_TENS, *MONTHS["it"], *ages, *ordinals, *ROUND_COUNTS}
        words |= {*YEAR_SPANS, "primo"}
        return frozenset(words), frozenset({"un", "una", "mezzo", "due", "tre"})
    words = {*EN_NUMBERS, *MONTHS["en"], *MONTH_ABBREVIATIONS}
    return frozenset(words), frozenset({"a", "one", "half", "two", "three"})


@functools.cache
def _figure_pattern(lang: str) -> re.Pattern:
    """Dates first, so "3 novembre 2025" is not the number 3. Matched on lowercased text, at anchors."""
    months = _alternation(MONTHS["it"] if lang == "it" else [*MONTHS["en"], *MONTH_ABBREVIATIONS])
    if lang == "it":
        words = r"[^\W\d_]+"  # read through the table of Italian number words
    else:
        ones = _alternation(w for w, n in EN_NUMBERS.items() if n < 10)
        teens = _alternation(w for w, n in EN_NUMBERS.items() if 10 <= n < 20)
        tens = _alternation(w for w, n in EN_NUMBERS.items() if n >= 20)
        under_100 = rf"(?:(?:{tens})(?:[-\s](?:{ones}))?|{teens}|{ones})"
        words = rf"(?:(?:{ones})\s+hundred(?:\s+(?:and\s+)?{under_100})?|{under_100})"
    end = r"(?![^\W\d_])"
    ordinal = rf"(?:°|º|ª|(?:st|nd|rd|th|esim[oaie]|mo|ma|mi|me){end})"  # "79ma", "66esimo" too
    scales = _alternation(w for w in SCALES if len(w) > 2)
    currencies = _alternation(w for w in CURRENCIES if w[0].isalpha())
    durations = _alternation(DURATIONS)
    centuries = "secolo|secoli|century"
    return re.compile(
        rf"""
        (?P<date_dm>(?:(?P<d0>[0-9]{{1,2}}){ordinal}?\s*(?:-|–|al|e|to|and)\s*)?(?P<d>[0-9]{{1,2}}|primo){ordinal}?
            \s+(?:di\s+|of\s+)?(?P<m>{months})\.?{end}(?:,?\s+(?P<y>[0-9]{{4}})(?![0-9]))?)
        |(?P<date_md>(?P<m2>{months})\.?\s+(?P<d2>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9])
            (?:\s*(?:-|–|to|and)\s*(?P<d3>[0-9]{{1,2}})(?![0-9]))?(?:,?\s+(?P<y2>[0-9]{{4}})(?![0-9]))?)
        |(?P<date_m>(?P<m3>{months})\.?{end}(?:\s+(?:del\s+|of\s+)?(?P<y3>[0-9]{{4}})(?![0-9]))?)
        |(?P<date_num>(?P<nd>[0-9]{{1,2}})[/.](?P<nm>[0-9]{{1,2}})[/.](?P<ny>[0-9]{{4}}|[0-9]{{2}})(?![0-9]|[/.,][0-9]))
        |(?P<date_iso>(?P<iy>[0-9]{{4}})-(?P<im>[0-9]{{2}})-(?P<id>[0-9]{{2}})(?![0-9]))
        |(?P<date_day_month>(?P<od>[0-9]{{1,2}})/(?P<om>[0-9]{{1,2}})(?![0-9]|[/.,][0-9]))
        |(?:(?P<digits>(?<![\w.,/])(?<![^\W\d_]-)(?:[0-9]{{1,2}}:[0-9]{{2}}(?![0-9])|[0-9](?:[0-9.,]*[0-9])?))
          |(?P<frac>(?:un|una|a|one|due|two|tre|three)\s+(?:{_alternation(FRACTIONS)})){end}
          |(?P<half>mezzo|half\s+a)(?=\s+(?:{scales}|{centuries}){end})
          |(?P<article>un|a|one)(?=\s+(?:{scales}|{centuries}){end}|\s+(?:{durations})\s+(?:e\s+mezzo|and\s+a\s+half){end})
          |(?P<words>{words}){end})
         (?P<ord>{ordinal})?
         (?P<half1>\s+(?:e\s+mezzo|and\s+a\s+half){end})?
         (?:[\s-]?(?P<scale>{scales}){end}|(?<=[0-9])(?P<short>bn|mn|m|k){end})?
         (?P<half2>\s+e\s+mezzo{end})?
         (?:\s?(?:di\s+|d['’]\s?|of\s+)?(?P<cur2>(?:{currencies}){end}|[€$£](?![0-9])))?
         (?:\s?(?P<pct>%|per\s?cento{end}|percent{end}|per\s+cent{end})
           |\s?(?P<pp>punt[oi]\s+percentual[ei]|percentage\s+points?|pp|p\.p\.){end}
           |\s?(?P<clock>[ap]\.?m\.?(?!\w)|del\s+pomeriggio{end}|di\s+sera{end}|della\s+sera{end})
           |(?P<age>enne){end}
           |[\s'’-](?:di\s+)?(?P<dur>{durations}){end}(?!{CLOCK_TIME}))?
         (?P<half3>\s+(?:e\s+mezzo|and\s+a\s+half){end})?
         (?!\w)
        """,
        re.X,
    )


CURRENCY_BEFORE = re.compile(r"(?:us\$|[€$£]|(?<![^\W\d_])(?:eur|usd|gbp|chf))\s?$")
DIGIT_RUN = re.compile(r"[0-9]+")
LETTERS = re.compile(r"[a-zà-ÿ]+")  # the number words and months are in this range
TRIGGERS = frozenset({*SCALES, *FRACTIONS, "secolo", "secoli", "century", "mezzo", "half"})


@functools.cache
def _word_pattern(word: str) -> re.Pattern:
    return re.compile(rf"{re.escape(word)}(?![^\W\d_])")  # a literal first: the engine's fast search


def _anchors(low: str, lang: str) -> list[int]:
    """Where a figure or a date may start: digit runs, and the vocabulary's words found among the
    text's words by a set intersection (a pattern of all of them tried at each position costs 20
    times more)."""
    vocabulary, before_scale = _vocabulary(lang)
    words = set(LETTERS.findall(low))
    found = vocabulary.intersection(words)
    if not TRIGGERS.isdisjoint(words):  # "un milione", "un terzo"
        found |= before_scale.intersection(words)
    positions = [m.start() for m in DIGIT_RUN.finditer(low)]
    for word in found:
        positions.extend(
            p for m in _word_pattern(word).finditer(low) if not low[(p := m.start()) - 1 : p].isalpha()
        )
    return sorted(positions)


def figures(text: str, lang: str) -> list[Fact]:
    """Amounts, numbers, percentages, durations, ordinals and dates, in text order."""
    low = text.lower()
    if len(low) != len(text):  # a rare character that lowercases to two ("İ"): match as written
        low = text
    pattern, facts, end = _figure_pattern(lang), [], 0
    for position in _anchors(low, lang):
        if position < end or not (match := pattern.match(low, position)):
            continue
        month = next((g for g in ("m", "m2", "m3") if match[g]), None)
        if month and lang != "it" and not text[match.start(month)].isupper():
            continue  # English months are capitalised: "may" is a verb
        if match["words"] and text[position].isupper() and not _figure_word_position(text, low, position):
            continue  # a number word in a name: "Five Points South", "Tre Cime"
        if month or match["date_num"] or match["date_iso"] or match["date_day_month"]:
            found = _dates(match, text, low)
        else:
            found = _quantity(match, text, low, lang)
        if found:
            facts.extend(found)
            end = match.end()
    return _ranges(facts, low)


def _figure_word_position(text: str, low: str, position: int) -> bool:
    """Whether a capitalised number word is a figure: it opens a sentence, or names a decade ("gli
    anni Sessanta")."""
    before = text[:position].rstrip()
    return not before or before[-1] in '.!?…:\n«“"–—' or low[:position].rstrip().endswith(("anni", "years"))


RANGE_LINK = re.compile(r"\s*(?:-|–|a|e|to|and)\s*(?:(?:le|i|gli|il|la|lo)\s+)?(?:minus\s+|meno\s+)?")


def _ranges(facts: list[Fact], low: str) -> list[Fact]:
    """A bare number that opens a range takes the unit and scale of the figure that closes it:
    "da 10 a 5 anni" is 10 years, "10-15 mila" 10,000."""
    for i in range(len(facts) - 1):
        first, second = facts[i], facts[i + 1]
        if first.kind != "number" or first.approx or not RANGE_LINK.fullmatch(low[first.end : second.start]):
            continue
        scale = next((SCALES[w] for w in LETTERS.findall(second.text.lower()) if w in SCALES), 1.0)
        if second.kind in ("duration", "percent", "amount") or scale != 1.0:
            value, step = first.value * scale, first.step * scale
            facts[i] = Fact(
                first.text, second.kind, value, second.unit, False, first.start, first.end, "=", step
            )
    return facts


def digits_value(digits: str, lang: str) -> tuple[float, int]:
    """Value and number of decimals of a figure written with Italian or English separators; a time
    of day "17:30" reads as 17.30 (as "17.30" and "5.30 pm" do)."""
    if ":" in digits:
        hours, minutes = digits.split(":")
        return float(f"{hours}.{minutes}"), 2
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:  # "1.234,5" or "1,234.5": the last separator is the decimal one
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif dots + commas == 1:  # "38.000" groups thousands in Italian, "38,000" in English
        separator = "." if dots else ","
        grouping = "," if lang == "en" else "."
        decimal = (
            None if separator == grouping and re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", digits) else separator
        )
    else:  # "1.234.567": several of one kind group thousands
        decimal = None
    whole, _, fraction = digits.rpartition(decimal) if decimal else (digits, "", "")
    whole = whole.replace(".", "").replace(",", "")
    return float(f"{whole}.{fraction or 0}"), len(fraction)


def _words_value(words: str, lang: str) -> float | None:
    if lang == "it":
        word = words + ("i" if words == "vent" else "a" if words.endswith("nt") else "")
        return italian_numbers().get(word)
    from text_to_num import text2num

    try:
        return float(text2num(re.sub(r"\s+", " ", words), "en"))
    except ValueError:
        return None


def _step(value: float, decimals: int, bound: str) -> float:
    """The rounding unit. An approximate "circa 300" rounds to the hundred, an exact "300" to one."""
    if decimals or bound == "=" or value <= 0 or value != int(value):
        return 10.0**-decimals
    digits = str(int(value))
    return 10.0 ** (len(digits) - len(digits.rstrip("0")))


def _bound(low: str, start: int, lang: str) -> str:
    words = low[max(0, start - 30) : start].split()[-4:]
    if lang == "it" and words and words[-1] in MARKER_LINKS:  # "oltre il 38%", "fino a 3.000"
        words.pop()
    for n in (2, 1):
        if len(words) >= n and (marker := " ".join(words[-n:])) in APPROX_MARKERS:
            return APPROX_MARKERS[marker]
    return "="


def _quantity(match: re.Match, text: str, low: str, lang: str) -> list[Fact]:
    g, decimals = match, 0
    if g["digits"]:
        value, decimals = digits_value(g["digits"], lang)
    elif g["frac"]:
        count, denominator = g["frac"].split()
        value = SMALL_NUMBERS[count] / FRACTIONS[denominator]
    elif g["half"] or g["article"]:
        value = 0.5 if g["half"] else 1.0
    elif lang == "it" and g["words"] in ROUND_COUNTS:
        value = float(ROUND_COUNTS[g["words"]])
    elif lang == "it" and (ordinal := italian_ages_and_ordinals()[1].get(g["words"])):
        start, end = match.start("words"), match.end("words")
        return [_ordinal(text, low, float(ordinal), start, end)]
    elif lang == "it" and (age := italian_ages_and_ordinals()[0].get(g["words"])):
        value = float(age)
    elif lang == "it" and (span := YEAR_SPANS.get(g["words"])):
        start, end = match.start("words"), match.end("words")
        return [Fact(text[start:end], "duration", float(span), "year", False, start, end, "=", 1.0)]
    elif (value := _words_value(g["words"], lang)) is None or (value == 1 and not g["scale"]):
        return []  # not a number word, or "un", "uno", "one": an article
    start, end = match.start(), match.end()
    before = CURRENCY_BEFORE.search(low, max(0, start - 4), start)
    if before:
        start = before.start()
    currency = (before[0].strip() if before else None) or g["cur2"]
    scale_word = g["scale"] or (g["short"] if currency else None)  # "38m" is metres, "$38m" millions
    value += 0.5 if g["half1"] or g["half2"] or g["half3"] else 0.0
    if g["clock"] and g["clock"][0] in "pd" and value < 12:  # "5.30 pm", "le tre del pomeriggio": 17.30, 15
        value += 12
    bound = "~" if g["words"] in ROUND_COUNTS else _bound(low, start, lang)
    step = 0.0 if g["frac"] else _step(value, decimals, bound)
    if g["ord"] and g["digits"] and not (currency or scale_word):
        return [_ordinal(text, low, value, start, end)]
    scale = SCALES[scale_word] if scale_word else 1.0
    value, step, approx = value * scale, step * scale, bound != "="
    if currency:
        kind, unit = "amount", CURRENCIES[currency]
    elif g["pct"] or g["pp"]:
        kind, unit = "percent", "%" if g["pct"] else "pp"
    elif g["dur"]:
        kind, unit = "duration", DURATIONS[g["dur"]]
    elif g["age"] or (g["words"] and g["words"] in italian_ages_and_ordinals()[0]):  # "65enne", "ventiduenne"
        kind, unit = "duration", "year"
    elif len(g["digits"] or "") == 4 and g["digits"].isdigit() and 1000 <= value <= 2100 and not scale_word:
        return [Fact(text[start:end], "date", (int(value), None, None), None, False, start, end)]
    elif len(g["digits"] or "") == 2 and not scale_word and _elided_century(low, start):  # "nel '68"
        year = (_year_of(int(value)), None, None)
        return [Fact(text[start - 1 : end], "date", year, None, False, start - 1, end)]
    else:
        kind, unit = "number", None
    return [Fact(text[start:end], kind, value, unit, approx, start, end, bound, step)]


def _elided_century(low: str, start: int) -> bool:
    """ "nel '68", "in ’96": an apostrophe that is no elision ("l'80%" is one) before two digits, and
    no decade ("gli anni '60")."""
    if start < 1 or low[start - 1] not in "'’" or (start > 1 and low[start - 2].isalnum()):
        return False
    return not low[: start - 1].rstrip().endswith(("anni", "years"))


def _year_of(two_digits: int) -> int:
    """The year a two-digit year names: this century up to this year ("'24"), the last one after ("'68")."""
    this_year = datetime.date.today().year
    century = this_year - this_year % 100
    return century + two_digits if century + two_digits <= this_year else century - 100 + two_digits


BIRTHDAY = re.compile(r"\s+(?:compleanno|birthday)(?!\w)")


def _ordinal(text: str, low: str, value: float, start: int, end: int) -> Fact:
    """An ordinal, or an age when it numbers a birthday: "il 66esimo compleanno" is 66 years."""
    if BIRTHDAY.match(low, end):
        return Fact(text[start:end], "duration", value, "year", False, start, end, "=", 1.0)
    return Fact(text[start:end], "ordinal", value, None, False, start, end)


ONE_UNIT = re.compile(
    rf"(?<![^\W\d_])(?:un|una|uno|one|a)(?:\s+|['’])({_alternation(DURATIONS)})(?![^\W\d_])"
)


def one_unit_durations(low: str) -> list[Fact]:
    """Durations of one unit written without a number ("manca una settimana", "un'ora"): read in
    articles only, where a summary's "sette giorni" may come from; a summary's "a year" is too often
    no figure ("a year later")."""
    return [Fact(m[0], "duration", 1.0, DURATIONS[m[1]], False, m.start(), m.end(), "=", 1.0)
            for m in ONE_UNIT.finditer(low)]  # fmt: skip


def _dates(match: re.Match, text: str, low: str) -> list[Fact]:
    g, start, end = match, match.start(), match.end()
    if g["date_day_month"]:
        day, month = int(g["od"]), int(g["om"])
        before = low[max(0, start - 8) : start].split()
        if not (before and before[-1] in DAY_MONTH_BEFORE and 1 <= day <= 31 and 1 <= month <= 12):
            return []
        return [Fact(text[start:end], "date", (None, month, day), None, False, start, end)]
    if g["date_num"] or g["date_iso"]:
        day, month, year = (int(g[k]) for k in (("nd", "nm", "ny") if g["date_num"] else ("id", "im", "iy")))
        if month > 12 and day <= 12:  # read day first, "11/30/2025" is American
            day, month = month, day
        year += 2000 if year < 100 else 0
        return (
            [Fact(text[start:end], "date", (year, month, day), None, False, start, end)]
            if month <= 12
            else []
        )
    month = MONTH_NUMBER[g["m"] or g["m2"] or g["m3"]]
    year = g["y"] or g["y2"] or g["y3"]
    days = (
        [g["d0"], "1" if g["d"] == "primo" else g["d"]]
        if g["date_dm"]
        else [g["d2"], g["d3"]]
        if g["date_md"]
        else [None]
    )
    return [
        Fact(text[start:end], "date", (int(year) if year else None, month, int(day) if day else None),
             start=start, end=end)
        for day in days
        if day or len(days) == 1
    ]  # fmt: skip


# --- names ---------------------------------------------------------------------------------------
