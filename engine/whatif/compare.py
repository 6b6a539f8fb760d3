"""Compare an original replay trace (a) with an edited one (b), aligned on the original events.

Original step s is compared with edited step ``counterparts(origin_step_b)[s]`` (see
:mod:`engine.whatif.align`); deleted steps have no counterpart. Per aligned step: RBO (p = 0.9) and
Jaccard of the two top-K lists (``recs`` rows whose status is not ``left``, by rank), state cosine
difference ``1 - cos(state_a, state_b)``, per-category difference of interest share (b - a) and its
total variation ``interest_tv = ½ Σ_c |diff_c|``, hit and RR difference (b - a; null where either is).

Summary: ``stability`` = mean over aligned steps from the first edit on of (1 - RBO) (0 = the lists
did not move; without any edit, the mean over all aligned steps); the items that ``gained`` / ``lost``
most rank: per item the mean over those same steps of ``rank_a - rank_b``, an item missing from a list
counting as rank K + 1 (K = the longer list at that step), so an item that stays up for many steps
outranks one that jumps for a single step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.replay.trace import Trace
from engine.whatif.align import check_origin, counterparts, first_change
from engine.whatif.overlap import jaccard, rbo

__all__ = ["Comparison", "compare", "jaccard", "rbo"]

P = 0.9  # RBO persistence: ~65% of the weight on the top 10
TOP_MOVERS = 10  # items listed as gained / lost
SAME_EVENT = ("item_id", "event_type", "timestamp")  # an edited step is its origin's event if these match
PER_STEP_COLUMNS = (
    "step", "step_b", "aligned", "from_edit", "rbo", "jaccard", "state_diff", "interest_tv",
    "hit_a", "hit_b", "hit_diff", "rr_a", "rr_b", "rr_diff",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Comparison:
    """``per_step``: one row per original step (:data:`PER_STEP_COLUMNS`; ``step_b`` -1 and metrics
    null where the step has no counterpart); ``interest_diff``: (step, category, diff) for aligned
    steps; ``summary``: headline numbers, movers and both traces' summaries."""

    per_step: pd.DataFrame
    interest_diff: pd.DataFrame
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tables column-oriented, NaN as null."""
        return {
            "summary": _plain(self.summary),
            "per_step": _columns(self.per_step),
            "interest_diff": _columns(self.interest_diff),
        }


def compare(
    trace_a: Trace, trace_b: Trace, origin_step_b: np.ndarray, *, first_edit: int | None = None
) -> Comparison:
    """Compare ``trace_a`` (original) with ``trace_b`` (edited; its step j aligns to original step
    ``origin_step_b[j]``). ``first_edit`` defaults to the first original step whose aligned prefix of
    events (item, type, time) differs in the two traces."""
    steps_a, steps_b = _by_step(trace_a.steps), _by_step(trace_b.steps)
    n_a, n_b = len(steps_a), len(steps_b)
    origin = check_origin(origin_step_b, n_a)
    if len(origin) != n_b:
        raise DataError(f"origin_step_b has {len(origin)} entries but the edited trace has {n_b} steps")
    if first_edit is None:
        first_edit = first_change(origin, _same_events(steps_a, steps_b, origin), n_a)
    partner = counterparts(origin, n_a)  # [n_a]
    aligned = partner >= 0  # [n_a]
    from_edit = aligned & (np.arange(n_a) >= (first_edit if first_edit is not None else 0))  # [n_a]

    lists_a, lists_b = _lists(trace_a.recs), _lists(trace_b.recs)
    rbos = np.full(n_a, np.nan)
    jaccards = np.full(n_a, np.nan)
    for s in np.flatnonzero(aligned):
        la, lb = lists_a.get(int(s), []), lists_b.get(int(partner[s]), [])
        rbos[s], jaccards[s] = rbo(la, lb, P), jaccard(la, lb)
    interest_diff = _interest_diff(trace_a.interests, trace_b.interests, partner)
    tv = interest_diff.groupby("step")["diff"].apply(lambda d: 0.5 * d.abs().sum())

    per_step = pd.DataFrame({"step": np.arange(n_a), "step_b": partner, "aligned": aligned})
    per_step["from_edit"] = from_edit
    per_step["rbo"], per_step["jaccard"] = rbos, jaccards
    per_step["state_diff"] = _state_diff(trace_a.states, trace_b.states, partner)
    per_step["interest_tv"] = tv.reindex(per_step["step"]).to_numpy(np.float64)
    for name in ("hit", "rr"):
        col_a = _floats(steps_a[name])  # [n_a]
        col_b = _floats(steps_b[name])[np.where(aligned, partner, 0)] if n_b else np.full(n_a, np.nan)
        per_step[f"{name}_a"], per_step[f"{name}_b"] = col_a, np.where(aligned, col_b, np.nan)
        per_step[f"{name}_diff"] = per_step[f"{name}_b"] - per_step[f"{name}_a"]

    scope = per_step[from_edit]
    gained, lost = _movers(lists_a, lists_b, partner, np.flatnonzero(from_edit), _names(trace_a, trace_b))
    summary = {
        "p": P,
        "first_edit": first_edit,
        "original_steps": n_a,
        "edited_steps": n_b,
        "aligned_steps": int(aligned.sum()),
        "unmatched_original_steps": int((~aligned).sum()),
        "compared_steps": len(scope),
        "stability": _mean(1.0 - scope["rbo"]),
        "mean_rbo": _mean(scope["rbo"]),
        "mean_jaccard": _mean(scope["jaccard"]),
        "mean_state_diff": _mean(scope["state_diff"]),
        "mean_interest_tv": _mean(scope["interest_tv"]),
        "gained": gained,
        "lost": lost,
        "trace_a": trace_a.summary(),
        "trace_b": trace_b.summary(),
    }
    return Comparison(per_step[list(PER_STEP_COLUMNS)], interest_diff, summary)


def _by_step(table: pd.DataFrame) -> pd.DataFrame:
    out = table.sort_values("step", kind="stable").reset_index(drop=True)
    if not np.array_equal(out["step"].to_numpy(), np.arange(len(out))):
        raise DataError("trace steps table must hold steps 0..n-1 once each")
    return out


def _same_events(steps_a: pd.DataFrame, steps_b: pd.DataFrame, origin: np.ndarray) -> np.ndarray:
    """[n_b] edited step j is original step origin[j]'s event unchanged (item, type and time)."""
    same = origin >= 0
    a = steps_a.iloc[np.where(same, origin, 0)].reset_index(drop=True)
    for col in SAME_EVENT:
        left, right = a[col].astype(object).to_numpy(), steps_b[col].astype(object).to_numpy()
        same &= np.array([_equal(x, y) for x, y in zip(left, right, strict=True)], dtype=bool)
    return same


def _lists(recs: pd.DataFrame) -> dict[int, list[Any]]:
    """step -> the top-K item ids in rank order (rows that left the list are not in it)."""
    shown = recs[recs["status"] != "left"].sort_values(["step", "rank"], kind="stable")
    steps = shown["step"].to_numpy(np.int64)  # [R]
    items = shown["item_id"].to_numpy(object)  # [R]
    starts = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1]]) if len(steps) else np.array([], int)
    ends = np.r_[starts[1:], len(steps)]
    return {int(steps[i]): list(items[i:j]) for i, j in zip(starts, ends, strict=True)}


def _names(trace_a: Trace, trace_b: Trace) -> dict[Any, Any]:
    recs = pd.concat([trace_a.recs, trace_b.recs], ignore_index=True)
    last = recs.drop_duplicates("item_id", keep="last")
    return dict(zip(last["item_id"], last["item_name"].where(last["item_name"].notna(), None), strict=True))


def _state_diff(states_a: pd.DataFrame, states_b: pd.DataFrame, partner: np.ndarray) -> np.ndarray:
    """[n_a] 1 - cos(state_a[s], state_b[partner[s]]); NaN without a counterpart or a state."""
    vec_a = dict(zip(states_a["step"].astype(int), states_a["state"], strict=True))
    vec_b = dict(zip(states_b["step"].astype(int), states_b["state"], strict=True))
    out = np.full(len(partner), np.nan)
    for s, j in enumerate(partner):
        if j < 0 or s not in vec_a or int(j) not in vec_b:
            continue
        u = np.asarray(vec_a[s], dtype=np.float64)  # [d]
        v = np.asarray(vec_b[int(j)], dtype=np.float64)  # [d]
        norms = float(np.linalg.norm(u) * np.linalg.norm(v))
        if norms > 0:
            out[s] = 1.0 - float(u @ v) / norms
        elif np.array_equal(u, v):
            out[s] = 0.0  # two zero states are the same state
    return out


def _interest_diff(interests_a: pd.DataFrame, interests_b: pd.DataFrame, partner: np.ndarray) -> pd.DataFrame:
    """(step, category, diff = share_b - share_a) for aligned steps; a missing category has share 0."""
    share_a = interests_a.pivot_table(index="step", columns="category", values="share", aggfunc="sum")
    share_b = interests_b.pivot_table(index="step", columns="category", values="share", aggfunc="sum")
    categories = sorted(set(share_a.columns) | set(share_b.columns), key=str)
    steps = np.flatnonzero(partner >= 0)
    if not categories or not len(steps):
        return pd.DataFrame({"step": pd.Series(dtype="int64"), "category": [], "diff": []})
    a = share_a.reindex(index=steps, columns=categories).fillna(0.0).to_numpy(np.float64)  # [S, C]
    b = share_b.reindex(index=partner[steps], columns=categories).fillna(0.0).to_numpy(np.float64)  # [S, C]
    return pd.DataFrame(
        {
            "step": np.repeat(steps, len(categories)),
            "category": np.tile(np.asarray(categories, dtype=object), len(steps)),
            "diff": (b - a).reshape(-1),
        }
    )


def _movers(
    lists_a: dict[int, list[Any]],
    lists_b: dict[int, list[Any]],
    partner: np.ndarray,
    steps: np.ndarray,
    names: dict[Any, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Items by mean rank shift (rank_a - rank_b, absent = K + 1) over ``steps``: top gainers, losers."""
    if not len(steps):
        return [], []
    # integer sums, so equal shifts are equal floats and ties fall to the item id
    total_a: dict[Any, int] = {}
    total_b: dict[Any, int] = {}
    depth_sum = 0  # sum over steps of K + 1: every item starts "absent" at every step
    for s in steps:
        la, lb = lists_a.get(int(s), []), lists_b.get(int(partner[s]), [])
        absent = max(len(la), len(lb)) + 1
        depth_sum += absent
        for items, total in ((la, total_a), (lb, total_b)):
            for rank, item in enumerate(items, 1):
                total[item] = total.get(item, 0) + rank - absent  # offset from "absent"
    n = len(steps)
    rows = []
    for item in sorted(set(total_a) | set(total_b), key=str):
        sum_a, sum_b = depth_sum + total_a.get(item, 0), depth_sum + total_b.get(item, 0)
        rows.append(
            {
                "item_id": item,
                "item_name": names.get(item),
                "mean_rank_a": sum_a / n,
                "mean_rank_b": sum_b / n,
                "shift": (sum_a - sum_b) / n,
            }
        )
    gained = sorted((r for r in rows if r["shift"] > 0), key=lambda r: -r["shift"])[:TOP_MOVERS]
    lost = sorted((r for r in rows if r["shift"] < 0), key=lambda r: r["shift"])[:TOP_MOVERS]
    return gained, lost


def _equal(x: Any, y: Any) -> bool:
    if _missing(x) or _missing(y):
        return _missing(x) and _missing(y)
    return bool(x == y)


def _missing(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or value is pd.NA or value is pd.NaT


def _floats(column: pd.Series) -> np.ndarray:
    """Booleans / numbers with nulls (None, NA, NaN) as float64 with NaN, shape [n]."""
    return np.array([np.nan if _missing(v) else float(v) for v in column.astype(object)], dtype=np.float64)


def _mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return float(clean.mean()) if len(clean) else None


def _columns(table: pd.DataFrame) -> dict[str, list[Any]]:
    return {name: [_plain(v) for v in table[name].astype(object)] for name in table.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return None if _missing(value) else value
