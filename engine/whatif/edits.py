"""What-if edits: the JSON format, one typed frozen dataclass per op, and the parser.

An edit list is a JSON array applied in order; each edit addresses events by ``step`` of the
*original* timeline (the index of the event in the user's time-ordered events)::

    [{"op": "delete", "step": 5},
     {"op": "insert", "after": 3, "item_id": "i9", "event_type": "cart", "timestamp": null},
     {"op": "retype", "step": 7, "event_type": "purchase"},
     {"op": "move", "step": 2, "timestamp": "2024-03-01T10:00:00Z"},
     {"op": "replace", "step": 4, "item_id": "i12"}]

``insert`` and ``replace`` may add ``"item_name"`` and ``"category"`` (required for an item the
timeline has never seen). Timestamps are ISO-8601 or unix seconds/ms/us, as in the event files.
Event types are matched like the loader does (lower-cased, synonyms such as ``buy`` -> ``purchase``).
The checks that need the timeline (steps in range, known items and types) run in
:func:`engine.whatif.apply.apply_edits`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from engine.data.errors import DataError
from engine.data.schema import EVENT_SYNONYMS
from engine.data.validate import parse_timestamps


@dataclass(frozen=True)
class Delete:
    """Remove the event at ``step``."""

    op: ClassVar[str] = "delete"
    step: int

    def describe(self) -> str:
        return f"delete step {self.step}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "step": self.step}


@dataclass(frozen=True)
class Insert:
    """Add an event after original step ``after`` (-1: before the first).

    Without a timestamp it goes midway between its original neighbours (one second after the last
    event when at the end, one second before the first when ``after`` is -1).
    """

    op: ClassVar[str] = "insert"
    after: int
    item_id: str
    event_type: str
    timestamp: pd.Timestamp | None = None
    item_name: str | None = None
    category: str | None = None

    def describe(self) -> str:
        return f"insert after {self.after}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "op": self.op,
            "after": self.after,
            "item_id": self.item_id,
            "event_type": self.event_type,
            "timestamp": _iso(self.timestamp),
        }
        return {**out, **_named(self.item_name, self.category)}


@dataclass(frozen=True)
class Retype:
    """Change the event type of the event at ``step``."""

    op: ClassVar[str] = "retype"
    step: int
    event_type: str

    def describe(self) -> str:
        return f"retype step {self.step}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "step": self.step, "event_type": self.event_type}


@dataclass(frozen=True)
class Move:
    """Give the event at ``step`` a new time; the event then takes its place in time order."""

    op: ClassVar[str] = "move"
    step: int
    timestamp: pd.Timestamp

    def describe(self) -> str:
        return f"move step {self.step}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "step": self.step, "timestamp": _iso(self.timestamp)}


@dataclass(frozen=True)
class Replace:
    """Change the item of the event at ``step`` (type and time stay)."""

    op: ClassVar[str] = "replace"
    step: int
    item_id: str
    item_name: str | None = None
    category: str | None = None

    def describe(self) -> str:
        return f"replace step {self.step}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "step": self.step, "item_id": self.item_id}
        return {**out, **_named(self.item_name, self.category)}


Edit = Delete | Insert | Retype | Move | Replace
OPS: dict[str, type[Edit]] = {cls.op: cls for cls in (Delete, Insert, Retype, Move, Replace)}
# op -> (required fields, optional fields); "op" itself is implied
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "delete": (("step",), ()),
    "insert": (("after", "item_id", "event_type"), ("timestamp", "item_name", "category")),
    "retype": (("step", "event_type"), ()),
    "move": (("step", "timestamp"), ()),
    "replace": (("step", "item_id"), ("item_name", "category")),
}


def edit_label(number: int, edit: Edit | None = None) -> str:
    """How messages name an edit: ``edit 3 (retype step 7)``; ``number`` counts from 1."""
    return f"edit {number} ({edit.describe()})" if edit is not None else f"edit {number}"


def parse_edits(source: str | bytes | list[Any] | tuple[Any, ...]) -> list[Edit]:
    """Parse an edit list from JSON text or already-decoded JSON (a list of objects).

    Raises DataError naming the first bad edit, e.g. ``edit 2 (move step 4): missing field 'timestamp'``.
    """
    if isinstance(source, str | bytes):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as err:
            raise DataError(f"edits: not valid JSON ({err})") from err
    if not isinstance(source, list | tuple):
        raise DataError(f"edits: expected a JSON list of edits, got {_json_kind(source)}")
    return [_parse_one(number, raw) for number, raw in enumerate(source, 1)]


def edits_to_json(edits: list[Edit]) -> str:
    """The JSON text :func:`parse_edits` reads back (the page exports it, the CLI reads it)."""
    return json.dumps([edit.to_dict() for edit in edits], indent=2)


def _parse_one(number: int, raw: Any) -> Edit:
    if not isinstance(raw, dict):
        raise DataError(f"{edit_label(number)}: expected an object, got {_json_kind(raw)}")
    op = raw.get("op")
    label = _raw_label(number, raw)
    if op not in OPS:
        known = ", ".join(OPS)
        shown = f"unknown op {op!r}" if "op" in raw else "missing field 'op'"
        raise DataError(f"{label}: {shown}; expected one of {known}")
    required, optional = FIELDS[op]
    unknown = sorted(set(raw) - {"op", *required, *optional})
    if unknown:
        raise DataError(f"{label}: unknown field(s) {', '.join(map(repr, unknown))}")
    missing = [k for k in required if k not in raw]
    if missing:
        raise DataError(f"{label}: missing field {missing[0]!r}")
    values: dict[str, Any] = {}
    for key in (*required, *optional):
        if key in raw:
            values[key] = _field(label, key, raw[key], required=key in required)
    return OPS[op](**values)


def _raw_label(number: int, raw: dict[str, Any]) -> str:
    """``edit 3 (retype step 7)`` from what the raw edit holds, before it is known to be valid."""
    parts = [" ".join(raw["op"].split())[:40]] if isinstance(raw.get("op"), str) else []  # stays one line
    parts += [f"{key} {raw[key]}" for key in ("step", "after") if _is_int(raw.get(key))][:1]
    return f"edit {number} ({' '.join(parts)})" if parts else f"edit {number}"


def _field(label: str, key: str, value: Any, *, required: bool) -> Any:
    if key in ("step", "after"):
        if not _is_int(value):
            raise DataError(f"{label}: {key!r} must be an integer, got {value!r}")
        return int(value)
    if key == "timestamp":
        if value is None and not required:
            return None
        return _timestamp(label, value)
    if value is None and not required:
        return None
    if key == "item_id" and _is_int(value):
        value = str(value)  # numeric ids in JSON name the same item as their text
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{label}: {key!r} must be a non-empty string, got {value!r}")
    value = value.strip()
    if key == "event_type":
        lowered = value.lower()
        return EVENT_SYNONYMS.get(lowered, lowered)
    return value


def _timestamp(label: str, value: Any) -> pd.Timestamp:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DataError(f"{label}: cannot parse {value!r} as a time; expected ISO-8601 or unix seconds")
    parsed = parse_timestamps(pd.Series([value], dtype=object)).iloc[0]
    if pd.isna(parsed):
        raise DataError(f"{label}: cannot parse {value!r} as a time; expected ISO-8601 or unix seconds")
    return pd.Timestamp(parsed)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def _named(item_name: str | None, category: str | None) -> dict[str, str]:
    out = {}
    if item_name is not None:
        out["item_name"] = item_name
    if category is not None:
        out["category"] = category
    return out


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number" if isinstance(value, int | float) else type(value).__name__)
