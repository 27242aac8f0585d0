"""Core machinery every command runs on: the `Record`, the step contract, the local runner,
sources, sinks, input files, the console, and the tables kept between runs (`cache`).

Imports nothing else of itnews: every other folder builds on this one."""
