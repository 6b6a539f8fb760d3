"""load_events(): any supported file -> a validated Timeline, with the same options for every command."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.data.errors import DataError
from engine.data.presets import PRESET_READERS, read_movielens, read_otto
from engine.data.readers import (
    first_row,
    flat_records,
    read_delimited,
    read_jsonl,
    read_parquet,
    read_text,
    sniff_delimiter,
    strip_type_suffix,
)
from engine.data.schema import COLUMN_SYNONYMS, MAP_KEYS, SOURCE_ROW
from engine.data.timeline import Timeline
from engine.data.validate import normalize

PRESETS: tuple[str, ...] = tuple(PRESET_READERS)
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read an events file; the CLI's --preset/--map/--event-map/--strict map onto these."""

    preset: str | None = None
    # short key (user, item, time, type, category, name, session) -> column name, or 0-based column number
    column_map: dict[str, str] = field(default_factory=dict)
    # raw event value -> canonical event type (view, like, cart, purchase), applied before the synonyms
    event_map: dict[str, str] = field(default_factory=dict)
    strict: bool = False  # fail on the first bad row instead of dropping and counting it
    drop_outliers: bool = True  # drop (and count) rows whose timestamps are far outside the rest


def parse_pairs(text: str | None, flag: str) -> dict[str, str]:
    """'a=b,c=d' -> {'a': 'b', 'c': 'd'}; a clear error naming the flag otherwise."""
    if not text:
        return {}
    pairs: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise DataError(f"{flag} expects key=value pairs separated by commas, got {part!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _canonical_map(column_map: dict[str, str], path: Path) -> dict[str, str]:
    """--map keys -> canonical columns: {'visitorid': 'user_id', ...}."""
    out = {}
    for key, column in column_map.items():
        canonical = MAP_KEYS.get(key.lower())
        if canonical is None:
            raise DataError(f"unknown --map key {key!r}; use one of {', '.join(MAP_KEYS)}", path=str(path))
        out[column] = canonical
    return out


def _apply_mapping(frame: pd.DataFrame, column_map: dict[str, str], path: Path) -> pd.DataFrame:
    """Rename columns to canonical names: explicit --map first, then known header synonyms."""
    explicit = _canonical_map(column_map, path)
    missing = [col for col in explicit if col not in frame.columns]
    if missing:
        have = ", ".join(f"'{c}'" for c in frame.columns if c != SOURCE_ROW)
        raise DataError(
            f"--map names column '{missing[0]}', which is not in the file; columns: {have}",
            path=str(path),
            column=missing[0],
        )
    renames: dict[str, str] = dict(explicit)
    taken = set(explicit.values())
    for col in frame.columns:
        if col in renames or col == SOURCE_ROW:
            continue
        canonical = COLUMN_SYNONYMS.get(strip_type_suffix(str(col)).lower())
        if canonical and canonical not in taken:
            renames[col] = canonical
            taken.add(canonical)
    frame = frame.rename(columns=renames)
    keep = [c for c in frame.columns if c in taken or c == SOURCE_ROW]
    return frame[keep]


def _read_generic_delimited(path: Path, column_map: dict[str, str]) -> pd.DataFrame:
    numeric_map = bool(column_map) and all(v.strip().isdigit() for v in column_map.values())
    if numeric_map:
        frame = read_delimited(path, header=False)
        by_number = {str(c): c for c in frame.columns if c != SOURCE_ROW}
        for value in column_map.values():
            if value not in by_number:
                raise DataError(
                    f"--map names column number {value}, but the file has {len(by_number)} columns "
                    "(numbers start at 0)",
                    path=str(path),
                )
        frame.columns = [str(c) for c in frame.columns]
        return _apply_mapping(frame, column_map, path)
    text = read_text(path)
    header = [strip_type_suffix(f).lower() for f in first_row(text, sniff_delimiter(text, path))]
    named = {v.lower() for v in column_map.values()}
    if not any(f in COLUMN_SYNONYMS or f in named for f in header):
        raise DataError(
            "the file has no header row I recognise; use --preset taobao for Taobao UserBehavior, "
            "or name the columns by number, e.g. --map user=0,item=1,time=4,type=3",
            path=str(path),
            row=1,
        )
    return _apply_mapping(read_delimited(path, header=True), column_map, path)


def _read_raw(path: Path, options: ReadOptions) -> pd.DataFrame:
    if options.preset is not None:
        reader = PRESET_READERS.get(options.preset)
        if reader is None:
            raise DataError(f"unknown preset {options.preset!r}; choose from {', '.join(PRESETS)}")
        frame = reader(path)
        return _apply_mapping(frame, options.column_map, path) if options.column_map else frame
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".inter":
        return read_movielens(path)
    if suffix in PARQUET_SUFFIXES:
        return _apply_mapping(read_parquet(path), options.column_map, path)
    if suffix in JSON_SUFFIXES:
        records = read_jsonl(path)
        if "events" in records[0][1] and "session" in records[0][1]:
            return read_otto(path)
        return _apply_mapping(flat_records(records), options.column_map, path)
    return _read_generic_delimited(path, options.column_map)


def load_events(path: str | Path, options: ReadOptions | None = None) -> Timeline:
    """Read, map and validate an events file (CSV/TSV, Parquet, JSONL, RecBole atomic) into a Timeline.

    Raises DataError (naming file, row and column) when the file cannot be used; rows that are repaired
    or dropped are counted in ``timeline.report``.
    """
    options = options or ReadOptions()
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=str(path))
    if path.is_dir() and options.preset not in (None, "movielens"):
        raise DataError("is a folder; pass the events file itself", path=str(path))
    raw = _read_raw(path, options)
    return normalize(
        raw,
        str(path),
        event_map=options.event_map,
        strict=options.strict,
        drop_outliers=options.drop_outliers,
    )
