"""Paragraphs, headings and list items of an article's text, with newspaper boilerplate and repeated
paragraphs dropped: the blocks that sentences are split from.

Plain text marks its paragraphs in one of two ways, told apart per document (`wrap_width`): by line
breaks, one paragraph per line (as scrapers and CMS exports write it, where a run of spaces may also
separate two paragraphs on one line), or by blank lines, each paragraph hard-wrapped at a fixed width
(e-mail, plain-text exports), its line breaks falling mid-sentence. A short line without a final stop
that a new paragraph follows is a heading or a subtitle, and becomes a block of its own, never the
start of the next sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from itnews.ingest.sentences import split_sentences


@dataclass
class Block:
    kind: str  # "paragraph", "heading" or "item"
    text: str


# Newspaper furniture that survives copy-paste and CMS exports. No library lists the Italian
# phrasings, so the project keeps them here; each pattern only drops a short line (see below).
BOILERPLATE_PATTERNS = [
    r"riproduzione riservata",
    r"tutti i diritti riservati",
    r"^©|©$|^\(c\)\s|^copyright\b",  # anchored: a lead may mention copyright mid-sentence
    r"^leggi anche\b",
    r"^(ti )?potrebbe(ro)? interessarti\b",
    r"^condividi\b|^share\b|condividi su (facebook|twitter|whatsapp|x|linkedin|telegram)",
    r"^(iscriviti|abbonati|registrati)\b",
    r"newsletter",
    r"^seguici (su|anche)\b",
    r"^scarica (la nostra |l')app\b",
    r"p\.?\s?iva\s*:?\s*\d{11}",
    r"^(commenta|lascia un commento|commenti)\b",
    r"^(pubblicità|advertisement|contenuto sponsorizzato)$",
    r"^(foto|video) ?:?\s*(ansa|getty|lapresse)\b",
]
BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS), re.IGNORECASE)
BOILERPLATE_MAX_WORDS = 25  # a long line that mentions a newsletter is article text, not furniture
BULLET = re.compile(r"^\s*(?:[-–•*·▪●]|\d{1,2}[.)])\s+")
SPACE = r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
SPACES = re.compile(f"{SPACE}+")
# Between two paragraphs on one line: in the ANSA bodies of ../shared/data/news-2024, 174 of the 178
# runs of three or more spaces inside the text follow a full stop, 3 a heading (eval/PARAGRAPHS.md).
PARAGRAPH_GAP = re.compile(f"{SPACE}{{3,}}")
INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
SENTENCE_END = re.compile(r"[.!?…:;][»”\"’')\]]*$")  # a closing quote alone does not end prose
HEADING_MAX_WORDS = 30  # headlines run long; a line this short with no full stop is not prose
# Hard-wrapped text: most of its line breaks fall mid-sentence (no stop before, a lower-case word
# after), and the lines that go on there are nearly all longer than 3/4 of the widest of them; the
# line breaks of scraped text fall between paragraphs, of any length. Chosen on the project corpus
# rewritten (eval/PARAGRAPHS.md): wrapped at 60-80 columns by Python's textwrap or GNU fmt, 65-99%
# of an article's breaks fall mid-sentence and 98-100% of those lines are that long; one paragraph
# per line, none of them.
WRAPPED_SHARE_MID_SENTENCE = 0.5
WRAPPED_SHARE_NEAR_WIDTH = 0.8
NEAR_WIDTH = 0.75
WRAPPED_MIN_LINES = 3  # lines that go on mid-sentence: fewer show no width


def is_boilerplate(text: str) -> bool:
    return len(text.split()) <= BOILERPLATE_MAX_WORDS and bool(BOILERPLATE.search(text))


def ends_sentence(text: str) -> bool:
    return bool(SENTENCE_END.search(text))


def continues_sentence(line: str, next_line: str) -> bool:
    """Whether the break between two lines falls inside a sentence."""
    return not ends_sentence(line) and next_line[:1].islower()


def tidy(line: str) -> str:
    return SPACES.sub(" ", line).strip()


def wrap_width(lines: list[str]) -> int | None:
    """The width the text is hard-wrapped at, or None when its line breaks end paragraphs."""
    breaks = [
        (line, next_line)
        for line, next_line in pairwise(lines)
        if line and next_line and not BULLET.match(line) and not BULLET.match(next_line)
    ]
    going_on = [line for line, next_line in breaks if continues_sentence(line, next_line)]
    if len(going_on) < max(WRAPPED_MIN_LINES, WRAPPED_SHARE_MID_SENTENCE * len(breaks)):
        return None
    width = max(len(line) for line in going_on)
    near_width = [line for line in going_on if len(line) >= NEAR_WIDTH * width]
    return width if len(near_width) >= WRAPPED_SHARE_NEAR_WIDTH * len(going_on) else None


def split_blocks(text: str) -> list[Block]:
    """Paragraphs, headings and list items, with whitespace collapsed and boilerplate dropped."""
    raw_lines = INVISIBLE.sub("", text).splitlines()
    width = wrap_width([tidy(line) for line in raw_lines])
    if width is None:
        raw_lines = [paragraph for line in raw_lines for paragraph in paragraphs_of_line(line)]
    groups = without_boilerplate(group_lines([tidy(line) for line in raw_lines], width))
    last = len(groups) - 1
    blocks = [block for i, (kind, lines) in enumerate(groups) for block in blocks_of(kind, lines, i < last)]
    return drop_repeats(blocks)


def paragraphs_of_line(line: str) -> list[str]:
    """A line of one-paragraph-per-line text, split where scrapers leave a run of spaces between two
    paragraphs: after a full stop, or after a heading set between two runs ("…fine. ⎵⎵⎵ Le reazioni
    ⎵⎵⎵ Il sindaco…"). Elsewhere a run of spaces is only spacing."""
    paragraphs: list[str] = []
    for segment in PARAGRAPH_GAP.split(line.strip()):
        if len(paragraphs) == 1 and not ends_sentence(paragraphs[0]):  # the line's opening goes on
            paragraphs[0] += f" {segment}"
        else:
            paragraphs.append(segment)
    return paragraphs


def group_lines(lines: list[str], width: int | None) -> list[tuple[str, list[str]]]:
    """Lines grouped into list items and paragraphs (blank lines dropped), each a kind and its lines."""
    groups: list[tuple[str, list[str]]] = []
    goes_on = False  # whether the last group continues on the next line
    for line, next_line in pairwise([*lines, ""]):
        if not line:
            continue
        bullet = BULLET.match(line)
        if bullet:
            groups.append(("item", [line[bullet.end() :].strip()]))
        elif goes_on:
            groups[-1][1].append(line)
        else:
            groups.append(("paragraph", [line]))
        goes_on = not ends_group(*groups[-1], next_line, width)
    return groups


def ends_group(kind: str, lines: list[str], next_line: str, width: int | None) -> bool:
    """Whether a paragraph or list item ends at the break after its last line so far."""
    line = lines[-1]
    if not next_line or BULLET.match(next_line):
        return True
    if continues_sentence(line, next_line):
        return False
    if kind == "item" or is_boilerplate(next_line) or width is None:  # or one paragraph per line
        return True
    # Hard-wrapped: a line well short of the width ended on purpose, after a stop or after a heading
    # (a headline's words at most). A line that goes on is rarely that short, even before a name.
    ended_early = len(line) < NEAR_WIDTH * width
    return ended_early and (ends_sentence(line) or len(" ".join(lines).split()) <= HEADING_MAX_WORDS)


def without_boilerplate(groups: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The groups less newspaper furniture, and less the list of links under a "Leggi anche:" line."""
    kept = []
    after_related_links = False
    for kind, lines in groups:
        text = " ".join(lines)
        if is_boilerplate(text):
            after_related_links = text.endswith(":") or text.lower().startswith("leggi anche")
            continue
        if kind == "item" and after_related_links:
            continue
        after_related_links = False
        kept.append((kind, lines))
    return kept


def blocks_of(kind: str, lines: list[str], more_follow: bool) -> list[Block]:
    """A group's blocks: a short paragraph without a final stop is a heading. A subtitle glued to the
    end of the paragraph above it, as scrapers leave one ("…sul tema. Le reazioni", then the next
    paragraph), is split from it; at the end of the text, where it would head nothing, the last
    sentence just lacks its stop (as Il Post's leads do)."""
    text = " ".join(lines)
    if kind == "item" or ends_sentence(text):
        return [Block(kind, text)]
    if len(text.split()) <= HEADING_MAX_WORDS:
        return [Block("heading", text)]
    last = split_sentences(text)[-1]
    if more_follow and last != text and len(last.split()) <= HEADING_MAX_WORDS:
        return [Block("paragraph", text[: -len(last)].rstrip()), Block("heading", last)]
    return [Block("paragraph", text)]


def normalise_for_comparison(text: str) -> str:
    return " ".join(text.casefold().split())


def drop_repeats(blocks: list[Block]) -> list[Block]:
    """CMS exports often paste a paragraph twice; keep the first copy."""
    seen: set[str] = set()
    kept = []
    for block in blocks:
        key = normalise_for_comparison(block.text)
        if block.kind == "paragraph" and key in seen:
            continue
        seen.add(key)
        kept.append(block)
    return kept


def render(blocks: list[Block]) -> str:
    """The cleaned text: blocks separated by blank lines, list items as ``- item`` lines."""
    parts: list[str] = []
    for block in blocks:
        if block.kind == "item" and parts and parts[-1].startswith("- "):
            parts[-1] += f"\n- {block.text}"
        else:
            parts.append(f"- {block.text}" if block.kind == "item" else block.text)
    return "\n\n".join(parts)
