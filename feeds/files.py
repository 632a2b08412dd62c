"""Reading only the new part of files matched by a glob: byte offsets for text, whole Parquet."""

import glob
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

TEXT_FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class Chunk:
    """Rows read from a file, and how many lines could not be read at all."""

    table: pa.Table
    bad_rows: int


@dataclass(frozen=True)
class FilePosition:
    """How far a file has been read: byte offset, size and inode then, the bytes before offset."""

    offset: int
    size: int
    inode: int
    tail: str = ""  # hash of the last bytes read: a file rewritten in place no longer matches

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @staticmethod
    def from_json(text: str) -> "FilePosition":
        return FilePosition(**json.loads(text))


def file_format(path: str, configured: str) -> str:
    """The configured format, or the one the file name says."""
    if configured != "auto":
        return configured
    name = path.lower().removesuffix(".gz")
    for suffix, fmt in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".json", "jsonl"),
        (".parquet", "parquet"),
    ):
        if name.endswith(suffix):
            return fmt
    raise ValueError(f"{path}: cannot tell the format from the name; set `format`")


def matched_files(pattern: str) -> list[str]:
    """Files matching the glob, oldest name first (names usually carry the date)."""
    return sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def new_part(path: str, fmt: str, seen: FilePosition | None) -> tuple[Chunk | None, FilePosition]:
    """The rows added to a file since `seen` (all of it when new, rotated or truncated)."""
    stat = Path(path).stat()
    restarted = seen is None or seen.inode != stat.st_ino or stat.st_size < seen.offset
    if fmt in TEXT_FORMATS and not restarted and seen.tail != _tail_hash(path, seen.offset):
        restarted = True
    if fmt == "parquet":
        if not restarted and seen.size == stat.st_size:
            return None, seen
        table = pq.read_table(path)
        return Chunk(table, 0), FilePosition(stat.st_size, stat.st_size, stat.st_ino)
    offset = 0 if restarted else seen.offset
    if offset == stat.st_size:
        return None, FilePosition(offset, stat.st_size, stat.st_ino, seen.tail if seen else "")
    with open(path, "rb") as handle:
        header = handle.readline() if fmt == "csv" else b""
        offset = max(offset, len(header))
        handle.seek(offset)
        chunk = handle.read(stat.st_size - offset)
    complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for next time
    end = offset + len(complete)
    position = FilePosition(end, stat.st_size, stat.st_ino, _tail_hash(path, end))
    if not complete.strip():
        return None, position
    return parse_text(header + complete, fmt), position


def _tail_hash(path: str, offset: int, length: int = 64) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, offset - length))
        return hashlib.sha1(handle.read(min(offset, length))).hexdigest()[:16]


def parse_text(data: bytes, fmt: str) -> Chunk:
    """Parse CSV (with header) or JSON lines bytes column-wise, counting lines that do not parse."""
    if fmt == "csv":
        bad: list[object] = []
        parse = pacsv.ParseOptions(invalid_row_handler=lambda row: bad.append(row) or "skip")
        convert = pacsv.ConvertOptions(strings_can_be_null=True)
        table = pacsv.read_csv(io.BytesIO(data), parse_options=parse, convert_options=convert)
        return Chunk(table, len(bad))
    try:
        return Chunk(pajson.read_json(io.BytesIO(data)), 0)
    except pa.ArrowInvalid:
        return _parse_json_lines_slowly(data)


def _parse_json_lines_slowly(data: bytes) -> Chunk:
    """The fallback when a JSON-lines chunk has a broken line: keep every line that parses."""
    rows, bad = [], 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            bad += 1
    return Chunk(pa.Table.from_pylist(rows), bad)
