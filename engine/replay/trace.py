"""A replay trace: tidy per-step tables of one user's replay, plus ``meta``; saved as Parquet or JSON.

Every table has a ``step`` column: the index of the event in the user's timeline (time order, ties in
file order). Column meanings are documented in :data:`TABLES` and in the README ("The replay trace").
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.data.errors import DataError

FORMAT = "interest-replay-trace/1"

# table -> its columns, in order (the contract the dashboard and the what-if comparison read)
TABLES: dict[str, tuple[str, ...]] = {
    "steps": (
        "step", "timestamp", "item_id", "item_name", "category", "event_type", "weight", "known",
        "split",
        "drift_prev", "drift_start", "drift_ema", "changepoint",
        "next_item", "next_rank", "judged", "hit", "rr", "running_hit", "running_mrr",
        "recentpop_hit", "recentpop_rr", "seqmarkov_hit", "seqmarkov_rr", "itemknn_hit", "itemknn_rr",
    ),
    "states": ("step", "state", "x", "y"),
    "recs": (
        "step", "rank", "item_id", "item_name", "category", "score", "memory", "recent", "bias",
        "transition", "cooccurrence", "popularity", "category_pop", "prev_rank", "status", "is_next",
    ),
    "attention": ("step", "source_step", "item_id", "event_type", "alpha"),
    "interests": ("step", "category", "strength", "share"),
    "nodes": ("node", "label", "kind", "category", "entered_step"),
    "edges": ("source", "target", "weight", "alpha", "entered_step"),
    "explanations": (
        "step", "rank", "item_id", "part", "source_step", "source_item", "contribution", "share",
        "path_alpha", "text",
    ),
}  # fmt: skip
NO_CATEGORY = "(no category)"


def item_node(item_id: str) -> str:
    """Node id of an item in the trace's interest graph."""
    return f"item:{item_id}"


def category_node(category: str) -> str:
    """Node id of a category in the trace's interest graph."""
    return f"category:{category}"


def iso_utc(seconds: float) -> str | None:
    """Unix seconds as an ISO-8601 UTC time; None when not finite."""
    if not math.isfinite(seconds):
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()


BASELINE_COLUMNS = {"RecentPop": "recentpop", "SeqMarkov": "seqmarkov", "ItemKNN": "itemknn"}


@dataclass
class Trace:
    """One user's replay: the tables of :data:`TABLES` and ``meta`` (format, user, k, checkpoint
    fingerprint, seed, settings, package version, training end)."""

    steps: pd.DataFrame
    states: pd.DataFrame
    recs: pd.DataFrame
    attention: pd.DataFrame
    interests: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    explanations: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in TABLES:  # object columns of text -> pandas' string dtype, as Parquet reads them back
            table = getattr(self, name)
            text = [c for c in table.columns if table[c].dtype == object and _is_text(table[c])]
            if text:
                setattr(self, name, table.astype(dict.fromkeys(text, "str")))

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the trace: steps, judged steps, hit@K and MRR beside the baselines."""
        steps = self.steps
        judged = steps[steps["hit"].notna()]
        out: dict[str, Any] = {
            "user": self.meta.get("user"),
            "steps": len(steps),
            "judged_steps": len(judged),
            "heldout_steps": int((steps["split"] == "heldout").sum()),
            "changepoints": [int(s) for s in steps.loc[steps["changepoint"], "step"]],
        }
        for label, prefix in (("GNN", ""), *((n, f"{p}_") for n, p in BASELINE_COLUMNS.items())):
            hits = judged[f"{prefix}hit"].astype(float)
            out[f"{label} hit@K"] = float(hits.mean()) if len(hits) else None
            out[f"{label} MRR"] = float(judged[f"{prefix}rr"].astype(float).mean()) if len(hits) else None
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """A folder of ``<table>.parquet`` + ``meta.json``, or one ``.json`` file when ``path`` ends so."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            payload = {"meta": self.meta, **{n: _records(t) for n, t in self.tables().items()}}
            _write_text(path, json.dumps(payload, default=str))
            return path
        path.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables().items():
            table.to_parquet(path / f"{name}.parquet", index=False)
        _write_text(path / "meta.json", json.dumps(self.meta, indent=2, default=str))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        path = Path(path)
        try:
            if path.is_dir():
                meta = json.loads((path / "meta.json").read_text())
                tables = {name: pd.read_parquet(path / f"{name}.parquet") for name in TABLES}
            else:
                payload = json.loads(path.read_text())
                meta = payload["meta"]
                tables = {name: _from_records(name, payload[name]) for name in TABLES}
        except (OSError, KeyError, ValueError) as err:
            raise DataError(f"not a replay trace ({err})", path=str(path)) from err
        if meta.get("format") != FORMAT:
            raise DataError(f"not a replay trace of format {FORMAT}", path=str(path))
        return cls(**tables, meta=meta)


def _is_text(column: pd.Series) -> bool:
    return bool(
        column.map(lambda v: v is None or isinstance(v, str) or (isinstance(v, float) and v != v)).all()
    )


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _records(table: pd.DataFrame) -> dict[str, list[Any]]:
    """Column-oriented JSON: timestamps as ISO strings, missing values as null."""
    out: dict[str, list[Any]] = {}
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            out[name] = [None if pd.isna(v) else v.isoformat() for v in column]
        else:
            out[name] = [None if _missing(v) else _plain(v) for v in column.astype(object)]
    return out


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and value != value


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _from_records(name: str, columns: dict[str, list[Any]]) -> pd.DataFrame:
    table = pd.DataFrame(columns)
    if name == "states" and "state" in table:
        states = [np.asarray(v, dtype=np.float32) for v in table["state"]]
        table["state"] = pd.Series(states, index=table.index, dtype=object)
    if name == "steps" and "timestamp" in table:
        table["timestamp"] = pd.to_datetime(table["timestamp"], utc=True, format="ISO8601")
    return table
