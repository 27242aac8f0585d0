"""Digest: many outlets' articles grouped into stories, each with one summary, a timeline and the
figures the sources disagree on, as JSONL and one HTML page.

May import the layers below: `itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`."""
