"""Snappy and LZ4 blocks decompressed as streams, for the Parquet page reader (`parquet_pages`).

A Parquet page compressed with Snappy (pyarrow's default codec) or LZ4_RAW is one block, which every
library decompresses whole: a page holding a 500 MB cell would be held whole. Both formats are a
sequence of literals and copies from at most 64 KB back (Snappy's compressor works in 64 KB
fragments; LZ4's offsets are 16 bits), so they decode in order keeping only the last 64 KB. Written
by hand because no library decodes these block formats as streams (python-snappy streams only
Snappy's framing format, which Parquet does not use). Pure Python: the cells under the limit and the
page around them come at Python speed, a highly compressed giant cell slowly (seconds per 100 MB),
in bounded memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

HISTORY = 1 << 16  # the farthest back either format copies from
CHUNK = 1 << 20  # literals are read and handed on in pieces of at most this


class BlockStream(io.RawIOBase):
    """A decompressed block as a readable stream: the pieces ``decode`` yields, in order."""

    def __init__(self, pieces: Iterator[bytes]):
        self.pieces, self.pending = pieces, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.pending = memoryview(piece)  # a view: a 1 MB piece is not copied at each read
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def snappy_stream(raw, size: int) -> io.BufferedReader:
    """The Snappy block in the next bytes of ``raw`` (a stream of the page's stored bytes), which
    decompresses to ``size`` bytes, as a stream."""
    return io.BufferedReader(BlockStream(snappy_pieces(raw, size)), 1 << 16)


def lz4_stream(raw, size: int) -> io.BufferedReader:
    """The LZ4 block (LZ4_RAW) in ``raw``, which decompresses to ``size`` bytes, as a stream."""
    return io.BufferedReader(BlockStream(lz4_pieces(raw, size)), 1 << 16)


class History:
    """The last HISTORY bytes written, and the count of all of them."""

    def __init__(self):
        self.window, self.written = bytearray(), 0

    def literal(self, data: bytes) -> bytes:
        self.window += data
        if len(self.window) > 4 * HISTORY:  # trimmed now and then: each trim moves the window
            del self.window[:-HISTORY]
        self.written += len(data)
        return data

    def copy(self, offset: int, length: int) -> Iterator[bytes]:
        """``length`` bytes from ``offset`` back, in pieces of at most CHUNK (an LZ4 match has no
        length limit); where the copy overlaps what it writes, its first ``offset`` bytes repeat."""
        if not 0 < offset <= min(len(self.window), HISTORY):
            raise ValueError(f"a compressed block copies from {offset} bytes back, out of range")
        while length:
            take, start = min(length, CHUNK), len(self.window) - offset
            if offset >= take:
                piece = bytes(self.window[start : start + take])
            else:
                piece = (bytes(self.window[start:]) * (take // offset + 1))[:take]
            length -= take
            yield self.literal(piece)


def read(raw, size: int) -> bytes:
    data = raw.read(size)
    if len(data) != size:
        raise ValueError("data cut short")
    return data


def literal_pieces(raw, length: int, history: History) -> Iterator[bytes]:
    while length:
        piece = read(raw, min(length, CHUNK))
        length -= len(piece)
        yield history.literal(piece)


def snappy_pieces(raw, size: int) -> Iterator[bytes]:
    """Snappy's block format (format_description.txt): a varint of the decompressed length, then
    elements whose tag's low two bits say literal (0) or copy with a 1-, 2- or 4-byte offset."""
    history = History()
    declared = varint(raw)
    if declared != size:
        raise ValueError(f"a Snappy block of {declared} bytes where the page says {size}")
    while history.written < size:
        tag = read(raw, 1)[0]
        kind, high = tag & 3, tag >> 2
        if kind == 0:
            length = high + 1 if high < 60 else int.from_bytes(read(raw, high - 59), "little") + 1
            yield from literal_pieces(raw, length, history)
        elif kind == 1:
            yield from history.copy(((tag >> 5) << 8) | read(raw, 1)[0], (high & 7) + 4)
        else:
            yield from history.copy(int.from_bytes(read(raw, 2 if kind == 2 else 4), "little"), high + 1)


def lz4_pieces(raw, size: int) -> Iterator[bytes]:
    """LZ4's block format (lz4_Block_format.md): sequences of a token (literal and match lengths),
    literals, a 2-byte offset and a match; the last sequence has literals only."""
    history = History()
    while history.written < size:
        token = read(raw, 1)[0]
        yield from literal_pieces(raw, lz4_length(raw, token >> 4), history)
        if history.written >= size:
            break
        offset = int.from_bytes(read(raw, 2), "little")
        yield from history.copy(offset, lz4_length(raw, token & 15) + 4)
    if history.written != size:
        raise ValueError(f"an LZ4 block of {history.written} bytes where the page says {size}")


def lz4_length(raw, nibble: int) -> int:
    length = nibble
    if nibble == 15:
        while (more := read(raw, 1)[0]) == 255:
            length += 255
        length += more
    return length


def varint(raw) -> int:
    """An unsigned LEB128 integer (Snappy's preamble, Thrift's compact integers)."""
    value = shift = 0
    while True:
        byte = read(raw, 1)[0]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value
        shift += 7
