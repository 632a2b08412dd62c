"""Header readers and column-wise parsers for the bytes that feeds/follow.py reads.

Parsing is pure: bytes in, tables out. Which bytes are new is feeds/follow.py's business.
"""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson

HeaderReader = Callable[[BinaryIO], bytes]
CSV_BLOCK_BYTES = 256 << 20  # a piece of a large CSV file: about 2 million flows


@dataclass(frozen=True)
class Chunk:
    """Rows read from a file, and how many lines could not be read at all."""

    table: pa.Table
    bad_rows: int


def no_header(handle: BinaryIO) -> bytes:
    return b""


def first_line(handle: BinaryIO) -> bytes:
    """A CSV header."""
    return handle.readline()


def comment_lines(handle: BinaryIO) -> bytes:
    """A block of '#' lines at the top, like Zeek's #separator ... #types header."""
    header = b""
    while (line := handle.readline()).startswith(b"#"):
        header += line
    return header


def parse_csv(data, columns: list[str] | None = None, delimiter: str = ",") -> Chunk:
    """CSV bytes with a header, column-wise; rows with the wrong number of fields are counted."""
    _check_columns(data, columns, delimiter)
    bad: list[object] = []
    parse = pacsv.ParseOptions(
        delimiter=delimiter, invalid_row_handler=lambda row: bad.append(row) or "skip"
    )
    convert = pacsv.ConvertOptions(strings_can_be_null=True, include_columns=columns)
    table = pacsv.read_csv(_reader(data), parse_options=parse, convert_options=convert)
    return Chunk(table, len(bad))


def csv_batches(data, columns: list[str], block_bytes: int | None = None) -> Iterator[Chunk]:
    """parse_csv in pieces of about `block_bytes`, cut at line ends: memory stays bounded, and
    each piece is parsed in parallel like a file of its own (its own types, its own bad rows)."""
    _check_columns(data, columns, ",")
    header_end = _line_end(data, 0)
    names = next(csv.reader([bytes(data[:header_end]).decode("utf-8", "replace")]))
    read = pacsv.ReadOptions(column_names=names)
    convert = pacsv.ConvertOptions(strings_can_be_null=True, include_columns=columns)
    start = header_end
    while start < len(data):
        end = _line_end(data, start + (block_bytes or CSV_BLOCK_BYTES))
        bad: list[object] = []
        parse = pacsv.ParseOptions(
            invalid_row_handler=lambda row, bad=bad: bad.append(row) or "skip"
        )
        table = pacsv.read_csv(_reader(data[start:end]), read, parse, convert)
        yield Chunk(table, len(bad))
        start = end


def _line_end(data, position: int) -> int:
    """The offset just after the first newline at or after `position` (or the end)."""
    while position < len(data):
        found = bytes(data[position : position + 65536]).find(b"\n")
        if found >= 0:
            return position + found + 1
        position += 65536
    return len(data)


def _check_columns(data, columns: list[str] | None, delimiter: str) -> None:
    if not columns:
        return
    first_line = bytes(data[:65536]).split(b"\n", 1)[0].decode("utf-8", "replace")
    present = set(next(csv.reader([first_line], delimiter=delimiter), []))
    missing = [c for c in columns if c not in present]
    if missing and len(missing) == len(columns) and _reads_as_data(present):
        shown = first_line if len(first_line) <= 60 else first_line[:57] + "..."
        raise ValueError(f"the first line is not a header, it reads as data ({shown}); "
                         f"this format needs a header line with {', '.join(columns[:3])}, ...")
    if missing:
        raise ValueError(f"columns {', '.join(missing)} are missing")


def _reads_as_data(fields: set[str]) -> bool:
    """A first line with numbers or addresses in it is a row, not column names."""
    return any(field.strip().replace(".", "").replace(":", "").isdigit() for field in fields)


def _reader(data: bytes | memoryview) -> pa.BufferReader:
    """A zero-copy reader over bytes: a 1 GB file is not copied again to be parsed."""
    return pa.BufferReader(pa.py_buffer(data))


def parse_json_lines(data: bytes) -> Chunk:
    """JSON lines column-wise; when a line is broken, every line that parses is still kept."""
    try:
        return Chunk(pajson.read_json(_reader(data)), 0)
    except pa.ArrowInvalid:
        rows, bad = [], 0
        for line in bytes(data).splitlines():
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict):
                rows.append(row)
            else:
                bad += 1
        return Chunk(pa.Table.from_pylist(rows), bad)
