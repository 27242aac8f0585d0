"""API keys (``--api-keys FILE``): stored hashed, each with its own limits, as LibreTranslate keeps them.

The file is TOML, one table per key::

    [[keys]]
    name = "cms"                  # shown in the request log, never the key
    sha256 = "9f86d08..."         # hex SHA-256 of the key: printf %s "$KEY" | sha256sum
    requests_per_minute = 120
    chars_per_request = 50000     # article text (or HTML) characters in one request

A request gives its key as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. A missing or unknown
key is refused (401); a key past its requests in the last minute, or a request past its
characters, is refused too (429).
"""

from __future__ import annotations

import collections
import hashlib
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class AccessDenied(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Key:
    name: str
    requests_per_minute: int
    chars_per_request: int
    recent: collections.deque = field(default_factory=collections.deque)  # times of the last minute


def load_keys(path: str) -> dict[str, Key]:
    """The keys by their hash; ValueError with a one-line reason for a file that cannot be used."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read it: {getattr(err, 'strerror', None) or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"not TOML: {err}") from None
    keys = {}
    for number, entry in enumerate(data.get("keys", []), 1):
        try:
            digest = str(entry["sha256"]).lower()
            key = Key(str(entry["name"]), int(entry["requests_per_minute"]), int(entry["chars_per_request"]))
        except (KeyError, TypeError, ValueError) as err:
            needs = "name, sha256, requests_per_minute, chars_per_request"
            raise ValueError(f"key {number}: needs {needs} ({type(err).__name__}: {err})") from None
        if len(digest) != 64 or not all(char in "0123456789abcdef" for char in digest):
            raise ValueError(f"key {number} ({key.name}): sha256 must be 64 hex digits")
        keys[digest] = key
    if not keys:
        raise ValueError("no [[keys]] in it")
    return keys


class Access:
    """Checks the key of each request against its limits. Without keys, everyone may call."""

    def __init__(self, keys: dict[str, Key] | None):
        self.keys = keys

    def admit(self, headers) -> Key | None:
        """The caller's key, counted against its requests per minute; raises AccessDenied."""
        if self.keys is None:
            return None
        given = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        if given is None and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        if not given:
            raise AccessDenied(401, "an API key is required (X-API-Key header)")
        key = self.keys.get(hashlib.sha256(given.encode("utf-8", "backslashreplace")).hexdigest())
        if key is None:
            raise AccessDenied(401, "unknown API key")
        now = time.monotonic()
        while key.recent and now - key.recent[0] > 60:
            key.recent.popleft()
        if len(key.recent) >= key.requests_per_minute:
            raise AccessDenied(429, f"over this key's limit of {key.requests_per_minute} requests per minute")
        key.recent.append(now)
        return key

    @staticmethod
    def check_chars(key: Key | None, chars: int) -> None:
        if key is not None and chars > key.chars_per_request:
            raise AccessDenied(
                429, f"{chars:,} characters: over this key's limit of {key.chars_per_request:,} per request"
            )
