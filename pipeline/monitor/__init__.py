"""Monitor: `itnews watch`'s parts: the feeds to read (URLs, lists, OPML) and their entries, polite and
guarded fetching over HTTP, an article page made a record, the SQLite store and its incremental stories.

May import the layers below: `itnews.digest`, `itnews.summarise`, `itnews.facts`, `itnews.ingest`,
`itnews.core`."""
