"""Facts: the figures, dates and names of a text, whether a summary's are in its article, and the
faithfulness guard (the `Guard` step, `itnews check`).

May import `itnews.core` and `itnews.ingest`."""
