"""``replay(model, timeline, user)``: one user's timeline, step by step, as a :class:`Trace`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from engine import __version__
from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.recommenders.evidence import EVIDENCE_PARTS
from engine.replay.config import ReplayConfig
from engine.replay.drift import changepoints, drift
from engine.replay.explain import ScoreParts, explanation_table, score_parts
from engine.replay.graph import graph_tables
from engine.replay.interests import event_strengths, interest_table
from engine.replay.lists import StepLists, step_lists
from engine.replay.model import ReplayModel
from engine.replay.path import memory_path
from engine.replay.pseudonym import pseudonym
from engine.replay.trace import BASELINE_COLUMNS, FORMAT, TABLES, Trace, iso_utc


def user_events(timeline: Timeline, user: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The user's events in time order (ties in file order) and their unix seconds; DataError if none."""
    mask = (timeline.events["user_id"].astype(str) == str(user)).to_numpy()
    if not mask.any():
        raise DataError(
            f"user {user!r} has no events in this data ({timeline.n_users} users)", path=timeline.source
        )
    return timeline.events[mask].reset_index(drop=True), timeline.seconds()[mask]


def replay(
    model: ReplayModel,
    timeline: Timeline,
    user: str,
    config: ReplayConfig | None = None,
    pseudonym_key: bytes | None = None,
) -> Trace:
    """Step through every event of ``user`` (none dropped: unknown items are embedded from their text)
    and record, after each event, the state, attention, interests, drift, the top-K list and its
    explanation, and how the next real event ranks for the model and the baselines.

    ``model`` is only read. With ``pseudonym_key`` the trace's meta names the user by a keyed pseudonym.
    """
    config = config or ReplayConfig()
    model.checkpoint.check_compatible(timeline, timeline.source)
    torch.manual_seed(config.seed)
    events, seconds = user_events(timeline, user)
    path = memory_path(model, events, seconds)
    lists = step_lists(model, path.u, path.rows, path.known, seconds, config.k, config.chunk)
    states = path.u.cpu().numpy().astype(np.float32)  # [L, d]
    ids = events["item_id"].astype(str).to_numpy()
    names = events["item_name"].fillna(events["item_id"]).astype(str).to_numpy()
    types = events["event_type"].astype(str).to_numpy()

    steps = _steps_table(model, events, seconds, states, lists, config)
    parts = score_parts(model, path, lists.items, lists.levels, lists.evidence)
    nodes, edges = graph_tables(model, ids, events["category"], events["item_name"], config.neighbours)
    trace = Trace(
        steps=steps,
        states=_states_table(model, states),
        recs=_recs_table(model, lists, parts, steps["next_item"].to_numpy()),
        attention=_attention_table(path.alpha.cpu().numpy(), path.valid.cpu().numpy(), ids, types),
        interests=interest_table(
            events["category"],
            events["event_type"],
            seconds,
            model.checkpoint.graph_config,
            config.interest_half_life_s,
        ),
        nodes=nodes,
        edges=edges,
        explanations=explanation_table(model, path, lists.items, lists.scores, parts, types, ids, names),
        meta={
            "format": FORMAT,
            "user": pseudonym(str(user), pseudonym_key) if pseudonym_key else str(user),
            "pseudonymised": bool(pseudonym_key),
            "k": config.k,
            "steps": len(events),
            "checkpoint": model.path,
            "fingerprint": model.fingerprint,
            "seed": config.seed,
            "config": config.to_dict(),
            "version": __version__,
            "trained_until": iso_utc(model.trained_until),
            "source": timeline.source,
            "unknown_items": int((~path.known).sum()),
            "score_mix": model.mix.to_state(),
        },
    )
    return trace


def _steps_table(
    model: ReplayModel,
    events: pd.DataFrame,
    seconds: np.ndarray,
    states: np.ndarray,
    lists: StepLists,
    config: ReplayConfig,
) -> pd.DataFrame:
    L = len(events)
    ids = events["item_id"].astype(str).to_numpy()
    table = pd.DataFrame(
        {
            "step": np.arange(L, dtype=np.int64),
            "timestamp": events["timestamp"].to_numpy(),
            "item_id": ids,
            "item_name": events["item_name"].fillna(events["item_id"]).astype(str).to_numpy(),
            "category": events["category"].astype(object).to_numpy(),
            "event_type": events["event_type"].astype(str).to_numpy(),
            "weight": event_strengths(events["event_type"], model.checkpoint.graph_config),
            "known": np.array([item in model.item_index for item in ids], dtype=bool),
            "split": np.where(seconds <= model.trained_until, "train", "heldout"),
        }
    )
    table["timestamp"] = events["timestamp"].reset_index(drop=True)
    for name, values in drift(states, config.ema_rate).items():
        table[name] = values
    flagged = np.zeros(L, dtype=bool)
    flagged[changepoints(states, config.changepoint_penalty, config.changepoint_min_size)] = True
    table["changepoint"] = flagged
    table["next_item"] = pd.Series([*ids[1:], None], dtype=object) if L else pd.Series([], dtype=object)
    next_rank = pd.array(lists.rank, dtype="Int64")
    next_rank[~lists.judged] = pd.NA
    table["next_rank"] = next_rank
    _add_hits(table, "", lists.rank, lists.judged, config.k)
    table["judged"] = lists.judged
    judged_so_far = np.cumsum(lists.judged)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["running_hit"] = np.where(
            judged_so_far > 0, np.cumsum(table["hit"].fillna(False).astype(float)) / judged_so_far, np.nan
        )
        table["running_mrr"] = np.where(
            judged_so_far > 0, np.cumsum(table["rr"].fillna(0.0).to_numpy()) / judged_so_far, np.nan
        )
    for name, prefix in BASELINE_COLUMNS.items():
        if name in lists.baseline_rank:
            _add_hits(table, f"{prefix}_", lists.baseline_rank[name], lists.judged, config.k)
        else:
            table[f"{prefix}_hit"] = pd.array([None] * L, dtype="boolean")
            table[f"{prefix}_rr"] = np.nan
    return table[list(TABLES["steps"])]


def _add_hits(table: pd.DataFrame, prefix: str, rank: np.ndarray, judged: np.ndarray, k: int) -> None:
    """``hit`` (rank <= k) and ``rr`` (1/rank within the top k, else 0: MRR@k), null where not judged."""
    hit = pd.array(rank <= k, dtype="boolean")
    hit[~judged] = pd.NA
    table[f"{prefix}hit"] = hit
    with np.errstate(divide="ignore"):
        table[f"{prefix}rr"] = np.where(judged, np.where(rank <= k, 1.0 / np.maximum(rank, 1), 0.0), np.nan)


def _states_table(model: ReplayModel, states: np.ndarray) -> pd.DataFrame:
    xy = model.project(states)
    return pd.DataFrame({"step": np.arange(len(states)), "state": list(states), "x": xy[:, 0], "y": xy[:, 1]})


def _recs_table(
    model: ReplayModel, lists: StepLists, parts: ScoreParts, next_items: np.ndarray
) -> pd.DataFrame:
    """Each step's list with rank changes and score parts, plus a ``left`` row per item that dropped out
    of it."""
    L, K = lists.items.shape
    zeros = np.zeros((L, K), dtype=np.float32)
    evidence = [parts.evidence.get(name, zeros) for name in EVIDENCE_PARTS]
    catalogue = np.asarray(model.catalogue, dtype=object)
    names = np.asarray(model.names, dtype=object)
    cats = np.asarray(model.categories, dtype=object)
    rows: list[tuple[object, ...]] = []
    previous: dict[int, int] = {}
    for t in range(L):
        current: dict[int, int] = {}
        for r in range(K):
            item = int(lists.items[t, r])
            if item < 0:
                break
            current[item] = r + 1
            recent = float(parts.events[t, :, r].sum())
            rows.append(
                (t, r + 1, item, float(lists.scores[t, r]), float(parts.memory[t, r]), recent,
                 float(parts.bias[t, r]), *(float(e[t, r]) for e in evidence), previous.get(item),
                 "stayed" if item in previous else "entered")
            )  # fmt: skip
        for item, rank in previous.items():
            if item not in current:
                rows.append((t, None, item, *([np.nan] * (4 + len(EVIDENCE_PARTS))), rank, "left"))
        previous = current
    columns = [
        "step",
        "rank",
        "item",
        "score",
        "memory",
        "recent",
        "bias",
        *EVIDENCE_PARTS,
        "prev_rank",
        "status",
    ]
    table = pd.DataFrame(rows, columns=columns)
    items = table["item"].to_numpy(dtype=np.int64)
    table.insert(2, "item_id", catalogue[items])
    table.insert(3, "item_name", names[items])
    table.insert(4, "category", cats[items])
    table = table.drop(columns="item")
    table["rank"] = table["rank"].astype("Int64")
    table["prev_rank"] = table["prev_rank"].astype("Int64")
    nxt = next_items[table["step"].to_numpy(dtype=np.int64)]
    table["is_next"] = table["item_id"].to_numpy() == nxt
    return table


def _attention_table(
    alpha: np.ndarray, valid: np.ndarray, ids: np.ndarray, types: np.ndarray
) -> pd.DataFrame:
    R = alpha.shape[1]
    t_idx, r_idx = np.nonzero(valid)
    source = t_idx - (R - 1 - r_idx)
    return pd.DataFrame(
        {
            "step": t_idx,
            "source_step": source,
            "item_id": ids[source],
            "event_type": types[source],
            "alpha": alpha[t_idx, r_idx],
        }
    )
