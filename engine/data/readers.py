"""File readers: bytes on disk -> raw string tables with a ``source_row`` column. No validation here.

Every reader raises DataError naming the file and row for input it cannot read at all; row-level repairs
happen later in ``engine.data.validate``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from engine.data.errors import DataError
from engine.data.schema import COLUMN_SYNONYMS, SOURCE_ROW

DELIMITERS = ",\t;| "  # in order of preference
SNIFF_BYTES = 64 * 1024  # enough lines to see the delimiter, small enough to sniff instantly


def looks_like_header(line: str) -> bool:
    """Whether a first line names columns we know (user_id, itemId, ts, ...) under any delimiter."""
    fields = re.split(r"[,\t;| ]", line)
    return any(strip_type_suffix(f).strip().strip('"').lower() in COLUMN_SYNONYMS for f in fields)


def read_text(path: Path, header: bool | None = None) -> str:
    """The file as UTF-8 text (a BOM is ignored); undecodable bytes raise DataError with the row.

    ``header`` says whether the first line is a header (None: guess from its names), so the error can
    name the data row like every other error does.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        if header is None:
            header = looks_like_header(data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace"))
        raise DataError(
            f"undecodable bytes (not UTF-8) at line {line} (byte offset {err.start}); "
            "re-save the file as UTF-8",
            path=str(path),
            row=line - 1 if header and line > 1 else line,
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(f"NUL byte at line {line}: this looks like a binary file", path=str(path))
    if not text.strip():
        raise DataError("empty file: no header and no event rows", path=str(path))
    return text


def strip_type_suffix(name: str) -> str:
    """RecBole atomic headers carry types ('user_id:token'); the name is the part before the colon."""
    return re.sub(r":(token|token_seq|float|float_seq)$", "", name.strip())


def sniff_delimiter(text: str, path: Path) -> str:
    """The field delimiter: of , TAB ; | space, the one whose lines most often have as many fields as the
    first line (at least two); ties go to the earlier candidate.

    Each candidate parses the sample with csv.reader (so quoted fields with delimiters or doubled quotes
    count right); csv.Sniffer is only the fallback, since its quote heuristic misreads lines that end in
    a quoted field such as ``"Shoe ""Pro"" edition"``.
    """
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES:
        sample = sample[: sample.rfind("\n") + 1] or sample  # whole lines only
    best, best_share = "", 0.0
    for delimiter in DELIMITERS:
        try:  # newline="": a bare CR ends a line, as it does for pandas
            rows = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            counts = [len(row) for row in rows if row][:50]
        except csv.Error:
            continue
        if counts and counts[0] >= 2 and counts.count(counts[0]) / len(counts) > best_share:
            best, best_share = delimiter, counts.count(counts[0]) / len(counts)
    if best:
        return best
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        raise DataError(
            "could not find a field delimiter (tried , TAB ; | space): an event needs at least "
            "user, item, time and type columns",
            path=str(path),
            row=1,
        ) from None


def first_row(text: str, delimiter: str) -> list[str]:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return next(csv.reader([line], delimiter=delimiter), [])


def read_delimited(path: Path, *, header: bool, names: list[str] | None = None) -> pd.DataFrame:
    """A delimited text file as a table of strings; ``source_row`` is the 1-based data row."""
    text = read_text(path, header)
    delimiter = sniff_delimiter(text, path)
    try:
        # header=None even when there is one: then a row with more fields than the header is an error
        # (with a header row pandas would silently treat the extra fields as an index).
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=delimiter != " ",
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as err:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if match is None:
            raise DataError(f"malformed text: {' '.join(str(err).split())}", path=str(path)) from None
        expected, line, saw = (int(g) for g in match.groups())
        raise DataError(
            f"malformed row: {saw} fields where the {'header' if header else 'first row'} has {expected} "
            f"(line {line}); quote fields that contain '{delimiter}'",
            path=str(path),
            row=line - (1 if header else 0),
        ) from None
    except (pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"cannot read as delimited text: {err}", path=str(path)) from None
    if header:
        first = frame.iloc[0]
        columns = [strip_type_suffix(str(c)) if pd.notna(c) else f"column_{i}" for i, c in enumerate(first)]
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            where = [i + 1 for i, c in enumerate(columns) if c == repeated[0]]
            raise DataError(
                f"column '{repeated[0]}' appears more than once in the header (columns {where})",
                path=str(path),
                column=repeated[0],
            )
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = columns
    elif names is not None:
        if frame.shape[1] != len(names):
            raise DataError(
                f"expected {len(names)} columns ({', '.join(names)}), found {frame.shape[1]}",
                path=str(path),
                row=1,
            )
        frame.columns = names
    frame[SOURCE_ROW] = range(1, len(frame) + 1)
    return frame


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """JSON Lines as (line number, object) pairs; a bad line raises DataError naming it."""
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(read_text(path, header=False).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"invalid JSON: {err.msg} (char {err.pos})", path=str(path), row=number) from None
        if not isinstance(record, dict):
            raise DataError(
                f"each line must be a JSON object, got {type(record).__name__}", path=str(path), row=number
            )
        records.append((number, record))
    if not records:
        raise DataError("empty file: no JSON records", path=str(path))
    return records


def flat_records(records: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    """One event per JSON object -> a table; nested values are kept as their JSON text."""
    rows = []
    for number, record in records:
        row = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()}
        row[SOURCE_ROW] = number
        rows.append(row)
    # object dtype: a key missing on some lines must not turn the integer ids of the others into floats
    return pd.DataFrame(rows, dtype=object)


def read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for corrupt files
        raise DataError(
            f"not a readable Parquet file: {' '.join(str(err).split())[:200]}", path=str(path)
        ) from None
    frame = frame.reset_index(drop=True)
    frame.columns = [strip_type_suffix(str(c)) for c in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = _decode_bytes(frame[column], path)
    frame[SOURCE_ROW] = range(1, len(frame) + 1)
    return frame


def _decode_bytes(column: pd.Series, path: Path) -> pd.Series:
    """Binary values as UTF-8 text; a value that does not decode raises DataError naming row and column."""
    values = column.to_numpy()
    if not any(isinstance(v, bytes) for v in values):
        return column
    out = []
    for row, value in enumerate(values, start=1):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise DataError(
                    "undecodable bytes (not UTF-8)", path=str(path), row=row, column=str(column.name)
                ) from None
        out.append(value)
    return pd.Series(out, index=column.index, dtype=object, name=column.name)
