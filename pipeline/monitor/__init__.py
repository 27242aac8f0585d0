"""Monitoring (`itnews watch`): the feeds to read (URLs, lists, OPML) and their entries, polite and
guarded fetching over HTTP, an article page made a record, and a SQLite store of articles and stories
that grows pass after pass.

Its layer is above digest, evaluate, bench and engines, below service and cli: it builds its stories
with the digest (`itnews.digest`), and `serve --store` reads the store. May import `itnews.digest`,
`itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`.
"""
