"""Monitoring: feeds in, a SQLite store of articles and stories that grows pass after pass.

Its layer is above digest, evaluate, bench and engines, below service and cli: it builds its stories
with the digest (`itnews.digest`), and `serve --store` reads the store. May import `itnews.digest`,
`itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`.
"""
