"""A Parquet file's rows, read so that no cell over the size limit is ever decoded.

A row group whose pages are all under the limit is read by pyarrow, 256 rows at a time. A larger
page (25 KB of zstd can hold 500 MB) pyarrow would decompress and decode whole, and with it every
value of its page or dictionary. So the columns with such a page are read here instead, value by
value, from the page headers (Thrift) and the PLAIN and dictionary encodings, the page decompressed
as a stream (gzip, brotli and zstd by pyarrow; Snappy and LZ4 blocks by `block_codecs`): a value
over the limit is read past, never held, and its row comes as the reason (an error record); the
other rows of the row group, in the same page or dictionary included, come through, their other
columns read by pyarrow. Written by hand because no library decodes a page value by value (pyarrow
and fastparquet both decompress and decode a page whole).

What cannot be read in part: a page over the limit with the legacy LZ4 codec (Hadoop's), a page over
the limit of a column that is not flat text or bytes, or a page of another encoding (DELTA_*) in
such a column. Their values come as reasons, so the rows are error records and the others go on.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from itnews.core.block_codecs import lz4_stream, snappy_stream, varint

DATA_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 2, 3  # PageHeader.type
PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY = 0, 2, 8  # Encoding
# Codecs as pyarrow names them: those whose pages pyarrow decompresses as a stream, the block formats
# decompressed as streams here, and all that can be decompressed whole (a page under the limit).
STREAMED = {"GZIP": "gzip", "BROTLI": "brotli", "ZSTD": "zstd"}
BLOCKS = {"SNAPPY": snappy_stream, "LZ4": lz4_stream}  # "LZ4": Parquet's LZ4_RAW, as pyarrow names it
WHOLE = {**STREAMED, "SNAPPY": "snappy", "LZ4": "lz4_raw"}
TEXT_TYPES = {"STRING", "JSON", "ENUM"}
OTHER_ENCODINGS = {
    5: "DELTA_BINARY_PACKED",
    6: "DELTA_LENGTH_BYTE_ARRAY",
    7: "DELTA_BYTE_ARRAY",
    9: "BYTE_STREAM_SPLIT",
}


@dataclass(frozen=True)
class Unread:
    """A value not read, and why."""

    reason: str


def parquet_rows(path: str, columns: list[str] | None, limit: int) -> Iterator[dict | str]:
    """The rows of ``columns`` (None: all) as dicts, or for a row with a cell over ``limit`` bytes,
    the reason (a string)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    names = columns or parquet.schema_arrow.names
    with open(path, "rb") as raw:
        for group in range(parquet.metadata.num_row_groups):
            metadata = parquet.metadata.row_group(group)
            chunks = {metadata.column(i).path_in_schema: i for i in range(metadata.num_columns)}
            large = [
                name
                for name in names
                if name in chunks and largest_page(raw, metadata.column(chunks[name])) > limit
            ]
            if large:
                large_columns = {name: chunks[name] for name in large}
                yield from rows_beside_large_pages(parquet, path, group, names, large_columns, limit)
                continue
            for batch in parquet.iter_batches(batch_size=256, row_groups=[group], columns=names):
                yield from batch.to_pylist()


def rows_beside_large_pages(
    parquet, path: str, group: int, names: list[str], large: dict[str, int], limit: int
):
    """A row group's rows: the ``large`` columns (name: column index) read here, value by value,
    the other ``names`` by pyarrow."""
    names = [name for name in names if name not in large]
    metadata = parquet.metadata.row_group(group)
    if names:
        batches = parquet.iter_batches(batch_size=256, row_groups=[group], columns=names)
        rows = (row for batch in batches for row in batch.to_pylist())
    else:
        rows = ({} for _ in range(metadata.num_rows))
    cells = {}
    for name, index in large.items():
        column, chunk = parquet.schema.column(index), metadata.column(index)
        if (
            column.physical_type != "BYTE_ARRAY"
            or column.max_repetition_level
            or column.max_definition_level > 1
        ):
            reason = f"in a page over {mb(limit)} MB of a {column.physical_type} column, not read"
            cells[name] = itertools.repeat(Unread(reason), metadata.num_rows)
        else:
            text = column.converted_type == "UTF8" or column.logical_type.type in TEXT_TYPES
            cells[name] = chunk_cells(path, chunk, column.max_definition_level == 1, text, limit)
    for row, values in zip(rows, zip(*cells.values(), strict=True), strict=True):
        unread = [
            f"column {name!r}: {value.reason}"
            for name, value in zip(cells, values, strict=True)
            if isinstance(value, Unread)
        ]
        if unread:
            yield "; ".join(unread)
        else:
            row.update(zip(cells, values, strict=True))
            yield row


def chunk_cells(path: str, chunk, nullable: bool, text: bool, limit: int) -> Iterator[Any]:
    """A flat BYTE_ARRAY column chunk's values, one per row: bytes (str for ``text``), None, or
    Unread. Pages are decompressed as streams and values read one at a time."""
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    end, codec = start + chunk.total_compressed_size, chunk.compression
    dictionary: list = []
    with open(path, "rb") as raw:
        position = start
        while position < end:
            raw.seek(position)
            header = thrift_struct(raw)  # PageHeader: 1 type, 2 uncompressed size, 3 compressed size
            position = raw.tell() + header[3]
            kind, size, stored = header[1], header[2], header[3]
            if kind == DICTIONARY_PAGE:  # 7: DictionaryPageHeader, 1 its number of values
                body = page_body(raw, stored, size, codec, limit)
                dictionary = dictionary_values(body, header[7][1], limit)
            elif kind == DATA_PAGE:  # 5: DataPageHeader, 1 number of values, 2 encoding
                count, encoding = header[5][1], header[5][2]
                body = page_body(raw, stored, size, codec, limit)
                if isinstance(body, Unread):
                    yield from itertools.repeat(body, count)
                    continue
                levels = (
                    hybrid(io.BytesIO(read_levels(body, u32(body), limit)), 1, count) if nullable else None
                )
                yield from page_values(body, levels, count, encoding, dictionary, text, limit)
            elif kind == DATA_PAGE_V2:  # 8: 1 values, 4 encoding, 5/6 level bytes, 7 is compressed
                fields = header[8]
                count, encoding, level_bytes = fields[1], fields[4], fields[5] + fields.get(6, 0)
                levels = (
                    hybrid(io.BytesIO(read_levels(raw, fields[5], limit)), 1, count) if nullable else None
                )
                raw.seek(fields.get(6, 0), io.SEEK_CUR)  # repetition levels: none in a flat column
                compressed = fields.get(7, True) and codec != "UNCOMPRESSED"
                body = page_body(
                    raw, stored - level_bytes, size - level_bytes, codec if compressed else "", limit
                )
                if isinstance(body, Unread):
                    yield from itertools.repeat(body, count)
                    continue
                yield from page_values(body, levels, count, encoding, dictionary, text, limit)


def page_body(raw, stored: int, size: int, codec: str, limit: int):
    """A page's data as a stream, from ``raw`` at the page's start; Unread when a page over the
    limit is compressed in a block format."""
    import pyarrow as pa

    window = io.BufferedReader(Window(raw, stored), 1 << 16)
    if codec in ("UNCOMPRESSED", ""):
        return window
    if size <= limit and codec in WHOLE:
        return io.BytesIO(pa.Codec(WHOLE[codec]).decompress(raw.read(stored), size, asbytes=True))
    if codec in STREAMED:
        return pa.CompressedInputStream(window, STREAMED[codec])
    if codec in BLOCKS:
        return BLOCKS[codec](window, size)
    return Unread(
        f"in a {codec} page of {mb(size)} MB with a cell over {mb(limit)} MB, which cannot be read in part"
    )


class Window(io.RawIOBase):
    """The next ``size`` bytes of a file, as a file of their own."""

    def __init__(self, raw, size: int):
        self.raw, self.left = raw, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.left))
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)


def dictionary_values(body, count: int, limit: int) -> list:
    """A dictionary page's values (PLAIN), Unread for those over the limit, and for those past the
    first ``limit`` bytes of values: a dictionary holds at most what one page pyarrow reads would."""
    if isinstance(body, Unread):
        return [body] * count
    values, kept = [], 0
    for value in plain_values(body, count, limit):
        if not isinstance(value, Unread):
            kept += len(value)
            if kept > limit:
                value = Unread(f"in a dictionary with over {mb(limit)} MB of values, not read")
        values.append(value)
    return values


def read_levels(stream, size: int, limit: int) -> bytes:
    """A data page's definition levels, held to decode its values."""
    if size > limit:
        raise ValueError(f"a Parquet page with {mb(size)} MB of definition levels")
    return read_exactly(stream, size)


def page_values(body, levels, count: int, encoding: int, dictionary: list, text: bool, limit: int):
    """A data page's values: None where the definition level says null."""
    defined = levels if levels is not None else itertools.repeat(1, count)
    if encoding == PLAIN:
        values = plain_values(body, count, limit)
    elif encoding in (PLAIN_DICTIONARY, RLE_DICTIONARY):
        width = read_exactly(body, 1)[0]
        values = (dictionary[index] for index in hybrid(body, width, count))
    else:  # DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY: not read in part here
        name = OTHER_ENCODINGS.get(encoding, f"encoding {encoding}")
        values = itertools.repeat(Unread(f"in a {name} page beside a cell over {mb(limit)} MB, not read"))
    for level in defined:
        if not level:
            yield None
            continue
        value = next(values)
        yield value.decode("utf-8", "surrogateescape") if text and isinstance(value, bytes) else value


def plain_values(body, count: int, limit: int) -> Iterator[bytes | Unread]:
    """PLAIN byte arrays (a 4-byte length, then the bytes); one over ``limit`` is read past."""
    for _ in range(count):
        size = u32(body)
        if size <= limit:
            yield read_exactly(body, size)
            continue
        left = size
        while left:
            left -= len(read_exactly(body, min(left, 1 << 20)))
        yield Unread(f"a cell over {mb(limit)} MB ({mb(size)} MB), not read")


def hybrid(stream, width: int, count: int) -> Iterator[int]:
    """``count`` values of Parquet's RLE/bit-packed hybrid encoding (levels, dictionary indices)."""
    mask, produced = (1 << width) - 1, 0
    while produced < count:
        header = varint(stream)
        if header & 1:  # bit-packed groups of 8 values, each group ``width`` bytes
            for _ in range(header >> 1):
                group = int.from_bytes(read_exactly(stream, width), "little")
                for i in range(min(8, count - produced)):
                    yield (group >> (i * width)) & mask
                produced += 8
                if produced >= count:
                    return
        else:  # a run of one value
            run = min(header >> 1, count - produced)
            value = int.from_bytes(read_exactly(stream, (width + 7) // 8), "little")
            yield from itertools.repeat(value, run)
            produced += run


def read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("a Parquet page ends early")
    return data


def u32(stream) -> int:
    return int.from_bytes(read_exactly(stream, 4), "little")


def mb(size: int) -> int:
    return size // 2**20


def largest_page(raw, chunk) -> int:
    """The largest uncompressed page of a column chunk, read from the page headers alone."""
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    end, largest = start + chunk.total_compressed_size, 0
    raw.seek(start)
    while raw.tell() < end:
        header = thrift_struct(raw)  # PageHeader: 2 uncompressed size, 3 compressed size
        largest = max(largest, header.get(2, 0))
        raw.seek(header.get(3, 0), io.SEEK_CUR)
    return largest


def thrift_struct(raw) -> dict[int, Any]:
    """The integer, boolean and struct fields of a Thrift compact-protocol struct (Parquet's page
    headers); the others are read past."""
    fields: dict[int, Any] = {}
    field_id = 0
    while (byte := read_exactly(raw, 1)[0]) != 0:
        kind, delta = byte & 0x0F, byte >> 4
        field_id = field_id + delta if delta else zigzag(varint(raw))
        if kind in (4, 5, 6):
            fields[field_id] = zigzag(varint(raw))
        elif kind in (1, 2):  # a boolean, in the field header
            fields[field_id] = kind == 1
        elif kind == 12:
            fields[field_id] = thrift_struct(raw)
        else:
            thrift_skip(raw, kind)
    return fields


def thrift_skip(raw, kind: int) -> None:
    if kind in (1, 2):  # a boolean, in the field header
        return
    if kind == 3:
        raw.read(1)
    elif kind in (4, 5, 6):
        varint(raw)
    elif kind == 7:
        raw.read(8)
    elif kind == 8:
        raw.seek(varint(raw), io.SEEK_CUR)
    elif kind in (9, 10):
        header = read_exactly(raw, 1)[0]
        size = header >> 4 if header >> 4 != 15 else varint(raw)
        for _ in range(size):
            thrift_skip_element(raw, header & 0x0F)
    elif kind == 11:
        size = varint(raw)
        if size:
            types = read_exactly(raw, 1)[0]
            for _ in range(size):
                thrift_skip_element(raw, types >> 4)
                thrift_skip_element(raw, types & 0x0F)
    elif kind == 12:
        thrift_struct(raw)
    else:
        raise ValueError(f"not a Parquet page header (Thrift type {kind})")


def thrift_skip_element(raw, kind: int) -> None:
    if kind in (1, 2):  # a boolean element takes a byte of its own
        raw.read(1)
    else:
        thrift_skip(raw, kind)


def zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)
