"""`python -m itnews.cli`: the `itnews` command."""

from itnews.cli import app

app()
