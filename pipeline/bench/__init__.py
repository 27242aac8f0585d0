"""Bench: `itnews bench`, the ways of running each preset timed against a model card's loop on
stand-in models of the presets' exact architectures.

May import the layers below: `itnews.summarise`, `itnews.facts`, `itnews.ingest`, `itnews.core`."""
