"""Ingest: read an article (text, HTML, stdin) and clean it into paragraphs, Italian sentences
and a detected language (the `Clean` step).

May import `itnews.core` only."""
