"""Evaluate: ROUGE with an Italian-aware tokenizer, bootstrap intervals, paired comparisons of
summarisers run over a corpus, and their reports.

May import the layers below: `itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`."""
