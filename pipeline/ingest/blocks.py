"""Paragraphs, headings and list items of an article's text, with newspaper boilerplate and repeated
paragraphs dropped: the blocks that sentences are split from."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
SENTENCE_END = re.compile(r"[.!?…:;][»”\"’')\]]*$")  # a closing quote alone does not end prose
HEADING_MAX_WORDS = 30  # headlines run long; a line this short with no full stop is not prose


def is_boilerplate(line: str) -> bool:
    return len(line.split()) <= BOILERPLATE_MAX_WORDS and bool(BOILERPLATE.search(line))


def split_blocks(text: str) -> list[Block]:
    """Paragraphs, headings and list items, with whitespace collapsed and boilerplate dropped."""
    blocks: list[Block] = []
    after_related_links = False  # the list of links under a "Leggi anche:" line goes too
    for chunk in re.split(r"\n\s*\n", text):
        paragraph: list[str] = []
        for raw_line in chunk.splitlines():
            line = SPACES.sub(" ", INVISIBLE.sub("", raw_line)).strip()
            if not line:
                continue
            if is_boilerplate(line):
                after_related_links = line.endswith(":") or line.lower().startswith("leggi anche")
                continue
            bullet = BULLET.match(line)
            if bullet and after_related_links:
                continue
            after_related_links = False
            if bullet:
                if paragraph:
                    blocks.append(Block("paragraph", " ".join(paragraph)))
                    paragraph = []
                blocks.append(Block("item", line[bullet.end() :].strip()))
            else:
                paragraph.append(line)
        if paragraph:
            joined = " ".join(paragraph)
            is_heading = (
                len(paragraph) == 1
                and len(joined.split()) <= HEADING_MAX_WORDS
                and not SENTENCE_END.search(joined)
            )
            blocks.append(Block("heading" if is_heading else "paragraph", joined))
    return drop_repeats(blocks)


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
