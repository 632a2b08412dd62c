"""Flow readers: pure functions from file bytes to the normalized flow table (feeds.fields)."""

import zlib
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from socwall.feeds import files
from socwall.feeds.fields import FLOW_FIELDS, FLOW_SCHEMA, REQUIRED_FLOW_FIELDS

# source column for each normalized field, per format
VAST_COLUMNS = {
    "ts": "TimeSeconds", "proto": "ipLayerProtocolCode",
    "src_ip": "firstSeenSrcIp", "dst_ip": "firstSeenDestIp",
    "src_port": "firstSeenSrcPort", "dst_port": "firstSeenDestPort",
    "bytes_out": "firstSeenSrcTotalBytes", "bytes_in": "firstSeenDestTotalBytes",
    "packets_out": "firstSeenSrcPacketCount", "packets_in": "firstSeenDestPacketCount",
    "duration": "durationSeconds",
}  # fmt: skip
ZEEK_COLUMNS = {
    "ts": "ts", "proto": "proto", "src_ip": "id.orig_h", "dst_ip": "id.resp_h",
    "src_port": "id.orig_p", "dst_port": "id.resp_p",
    "bytes_out": "orig_ip_bytes", "bytes_in": "resp_ip_bytes",
    "packets_out": "orig_pkts", "packets_in": "resp_pkts", "duration": "duration",
}  # fmt: skip


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Decompress what can be: a truncated gzip yields its complete lines, and a reason."""
    inflater = zlib.decompressobj(wbits=47)
    data = bytes(data)
    try:
        text = inflater.decompress(data)
    except zlib.error as error:
        return b"", f"not a readable gzip file ({error})"
    if inflater.eof:
        return text, None
    complete = text[: text.rfind(b"\n") + 1]
    lines = complete.count(b"\n")
    return complete, f"truncated gzip: read the {lines:,} complete lines before the cut"


def read_vast_csv(data: bytes) -> files.Chunk:
    """VAST 2013 challenge netflow CSV (header TimeSeconds, parsedDate, ...)."""
    chunk = files.parse_csv(data, columns=list(VAST_COLUMNS.values()))
    return normalize(chunk, VAST_COLUMNS)


def vast_csv_batches(data: bytes) -> Iterator[files.Chunk]:
    """read_vast_csv in bounded batches, for files of millions of flows. A memoryview: a
    batch of bytes would be copied when sliced (64 MiB a window, 20-40 ms each)."""
    for chunk in files.csv_batches(memoryview(data), list(VAST_COLUMNS.values())):
        yield normalize(chunk, VAST_COLUMNS)


def read_zeek_tsv(data: bytes) -> files.Chunk:
    """Zeek conn.log as TSV: #separator ... #fields, #types header; '-' unset; '#close' footer."""
    overrides = {"id.orig_p": pa.string(), "id.resp_p": pa.string()}
    return normalize(zeek_table(data, list(ZEEK_COLUMNS.values()), overrides), ZEEK_COLUMNS)


def zeek_table(data: bytes, wanted: list[str], types: dict | None = None) -> files.Chunk:
    """Any Zeek TSV log as a table of the wanted columns that it has; '#' lines are not data."""
    data = bytes(data)
    header, _, body = data.partition(b"\n#types")
    fields = next((line for line in header.split(b"\n") if line.startswith(b"#fields")), None)
    if fields is None:
        raise ValueError("not a Zeek TSV log: no #fields header")
    names = fields.decode().split("\t")[1:]
    body = body.partition(b"\n")[2]
    if not body.strip():
        return files.Chunk(pa.table({}), 0)
    bad: list[object] = []

    def skip(row) -> str:
        if not row.text.startswith("#"):  # '#close' and repeated headers are not data
            bad.append(row)
        return "skip"

    parse = pacsv.ParseOptions(delimiter="\t", quote_char=False, invalid_row_handler=skip)
    convert = pacsv.ConvertOptions(
        null_values=["-", "(empty)"], strings_can_be_null=True,
        include_columns=[c for c in wanted if c in names], column_types=types or {},
    )  # fmt: skip
    table = pacsv.read_csv(
        pa.BufferReader(body), pacsv.ReadOptions(column_names=names), parse, convert
    )
    return files.Chunk(table, len(bad))


def read_zeek_json(data: bytes) -> files.Chunk:
    """Zeek conn.log written as JSON lines (LogAscii::use_json)."""
    return normalize(files.parse_json_lines(data), ZEEK_COLUMNS)


def read_mapped(data: bytes, fmt: str, columns: dict[str, str]) -> files.Chunk:
    """Any CSV or Parquet file, with the config's mapping of normalized field -> column."""
    if fmt == "parquet":
        table = pq.read_table(pa.BufferReader(data), columns=list(columns.values()))
        return normalize(files.Chunk(table, 0), columns)
    return normalize(files.parse_csv(data, columns=list(columns.values())), columns)


def mapped_batches(data: bytes, fmt: str, columns: dict[str, str]) -> Iterator[files.Chunk]:
    """read_mapped in bounded batches (Parquet by row groups of up to 1M rows)."""
    wanted = list(columns.values())
    if fmt == "parquet":
        parquet = pq.ParquetFile(pa.BufferReader(data))
        for batch in parquet.iter_batches(batch_size=1 << 20, columns=wanted):
            yield normalize(files.Chunk(pa.Table.from_batches([batch]), 0), columns)
        return
    for chunk in files.csv_batches(memoryview(data), wanted):  # slices of it are not copies
        yield normalize(chunk, columns)


def normalize(chunk: files.Chunk, columns: dict[str, str], ts_unit: str = "s") -> files.Chunk:
    """Rename and cast to FLOW_SCHEMA. Rows without a usable time or address, or with text
    where a number belongs, are dropped and counted as bad."""
    table = chunk.table
    missing = [columns[f] for f in REQUIRED_FLOW_FIELDS if columns.get(f) not in table.column_names]
    if table.num_rows and missing:
        raise ValueError(f"columns {', '.join(missing)} are missing")
    if not table.num_rows:
        return files.Chunk(FLOW_SCHEMA.empty_table(), chunk.bad_rows)
    arrays, good = {}, pa.array([True] * table.num_rows)
    for field in FLOW_FIELDS:
        source = _source(table, columns.get(field))
        arrays[field] = _column(source, field, ts_unit, table.num_rows)
        if field in REQUIRED_FLOW_FIELDS:
            good = pc.and_(good, pc.is_valid(arrays[field]))
        elif source is not None and field not in ("proto",):
            unreadable = pc.and_(pc.is_valid(source), pc.is_null(arrays[field]))
            good = pc.and_(good, pc.invert(unreadable))
    flows = pa.table(arrays, schema=FLOW_SCHEMA)
    if not pc.all(good).as_py():  # filtering copies every column: only when something is bad
        flows = flows.filter(good)
    flows = _zero_missing_counts(flows)
    return files.Chunk(flows, chunk.bad_rows + table.num_rows - flows.num_rows)


def _source(table: pa.Table, name: str | None) -> pa.ChunkedArray | None:
    if name is None or name not in table.column_names:
        return None
    return table[name]  # chunked: compute kernels run per chunk, nothing is copied


def _column(column: pa.ChunkedArray | None, field: str, ts_unit: str, rows: int):
    target = FLOW_SCHEMA.field(field).type
    if column is None:
        return pa.nulls(rows, target)
    if field == "ts":
        return _timestamps(column, ts_unit)
    if field == "proto":
        return pc.utf8_lower(column.cast(pa.string()))
    if pa.types.is_string(target):
        return column.cast(pa.string())
    return _numbers(column, target)


def _zero_missing_counts(flows: pa.Table) -> pa.Table:
    for name in ("bytes_out", "bytes_in", "packets_out", "packets_in"):
        if flows[name].null_count:
            index = flows.schema.get_field_index(name)
            flows = flows.set_column(index, name, pc.fill_null(flows[name], 0))
    return flows


def _numbers(column: pa.Array, target: pa.DataType) -> pa.Array:
    """Numbers as `target`; text that is not a number becomes null."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        pattern = r"^\s*-?\d+(\.\d+)?\s*$"
        column = pc.if_else(pc.match_substring_regex(column, pattern), column, None)
        column = column.cast(pa.float64())
    if pa.types.is_integer(target) and pa.types.is_floating(column.type):
        column = pc.floor(column)
    return column.cast(target, safe=False)


def _timestamps(column: pa.Array, unit: str) -> pa.Array:
    per_second = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}[unit]
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp("us", tz="UTC"))
    if pa.types.is_string(column.type):
        numeric = _numbers(column, pa.float64())
        if pc.sum(pc.is_valid(numeric)).as_py() == 0:  # ISO 8601 text, not epoch numbers
            return pc.cast(column, pa.timestamp("us", tz="UTC"), safe=False)
        column = numeric
    micros = pc.multiply(column.cast(pa.float64()), per_second)
    return pc.round(micros).cast(pa.int64()).cast(pa.timestamp("us", tz="UTC"))
