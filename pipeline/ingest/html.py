"""The article in a web page: its main text, headline and date (trafilatura), and a check that what was
kept is prose rather than a page's menus."""

from __future__ import annotations

from dataclasses import dataclass

from itnews.core.record import InputError
from itnews.ingest.blocks import normalise_for_comparison

MIN_HTML_WORDS = 20  # fewer words from a page are menu or banner leftovers, not an article
MAX_LINK_SHARE = 0.5  # a page whose text is mostly whole link texts is a menu or a list of links


@dataclass
class HtmlArticle:
    text: str  # paragraphs separated by blank lines
    title: str | None
    date: str | None  # the page's publication date, YYYY-MM-DD, from its metadata


def extract_html(html: str, item: str) -> tuple[str, str | None]:
    """Main text and headline of a web page; menus, banners and footers are left out."""
    article = extract_article(html, item)
    return article.text, article.title


def extract_article(html: str, item: str) -> HtmlArticle:
    """Main text, headline and publication date of a web page."""
    import trafilatura

    body = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=False, include_images=False
    )
    # No extensive date search: it loads dateparser (2 s on the first page); the page's own date
    # metadata (article:published_time, JSON-LD, <time>) is still read.
    metadata = trafilatura.extract_metadata(html, date_config={"extensive_search": False})
    title = metadata.title.strip() if metadata and metadata.title else None
    date = metadata.date if metadata and metadata.date else None
    if not body or len(body.split()) < MIN_HTML_WORDS:
        raise InputError(item, "no article text found in the HTML page")
    lines = body.splitlines()
    if link_share(html, lines) > MAX_LINK_SHARE:
        raise InputError(item, "no article text found in the HTML page, only menus or lists of links")
    # trafilatura keeps the <h1> as the first line of the body; the title field carries it.
    if title and lines and normalise_for_comparison(lines[0]) == normalise_for_comparison(title):
        lines = lines[1:]
    # Paragraphs come one per line; blank lines make them blocks for `split_blocks`.
    return HtmlArticle("\n\n".join(lines), title, date)


def link_shape(text: str) -> str:
    return " ".join(text.split()).casefold()


def link_share(html: str, lines: list[str]) -> float:
    """The share of the extracted words that are whole link texts. trafilatura keeps a page's
    navigation when nothing else is there ("Sezione 0", "Sezione 1", ...); link density is the
    classic boilerplate signal (jusText, Boilerpipe), measured here on what trafilatura kept."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html.encode("utf-8"), lxml.html.HTMLParser(encoding="utf-8"))
    except (ValueError, lxml.etree.ParserError):
        return 0.0
    links = {link_shape(anchor.text_content()) for anchor in tree.iter("a")}
    words = sum(len(line.split()) for line in lines)
    linked = sum(len(line.split()) for line in lines if link_shape(line) in links)
    return linked / words if words else 0.0
