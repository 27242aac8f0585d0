"""Summarise: the Italian and English summaries of each record, by the embedded extractive
summariser or a seq2seq model (presets, loading, generation on torch or CTranslate2).

May import `itnews.core`, `itnews.ingest`, `itnews.facts` (the guard reranks candidate summaries)
and the presets in `itnews.models`."""
