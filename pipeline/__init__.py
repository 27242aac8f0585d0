"""itnews: Italian news summarisation pipeline (ingest, summarise, evaluate)."""
