"""itnews: Italian news summarisation pipeline (ingest, summarise, evaluate, check, digest).

One sub-package per concern, each importing only those below it (checked by `lint-imports`):
cli / digest, evaluate, bench, engines / summarise / facts / ingest / core."""
