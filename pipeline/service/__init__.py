"""The HTTP service: the summary chain behind a JSON API and a page (`itnews serve`).

app.py (endpoints, errors, the request gate), batcher.py (requests gathered into batches for the
chain), worker.py (the model process that builds the chain once and runs it), access.py (API keys
and their limits), metrics.py (Prometheus), server.py (uvicorn, clean stop), page/ (the page at /,
package data). A source and a sink around the command line's chain: no step is copied here.

Its layer is above monitor, digest, evaluate, bench and engines, below cli: it runs the digest's
grouping (`/v1/digest`) and reads the store (`/v1/stories`), so it cannot be their sibling, and only
the command line imports it. It needs
the `serve` extra (FastAPI, uvicorn); nothing imports it until `itnews serve` runs.
"""
