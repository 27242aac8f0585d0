"""Monitoring: feeds in, a SQLite store of articles and stories that grows pass after pass.

Above the digest (its stories are built by `itnews.digest`), below the service (`serve --store`
reads the store) and the command line.
"""
