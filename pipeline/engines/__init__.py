"""Engines: runners other than the local one (`itnews.core.runner`) that run the same steps;
`ray_actors` runs them in a pool of Ray actors (`itnews batch --engine ray`); `ray_serve` runs an ASGI
app that runs them (the service's, handed in by it) in Ray Serve replicas (`itnews serve --engine ray`).

May import the layers below: `itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`."""
