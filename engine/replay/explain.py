r"""Why an item is listed: its score split into additive parts.

The score is :math:`w_{\mathrm{state}} \cos(u, z'_i)` plus the weighted graph evidence
(:mod:`engine.recommenders.score_mix`). The state is :math:`u = W_h h + \sum_j \alpha_j W_v v_j + b`
(``UserMemory.readout_parts``) and the cosine is :math:`u \cdot \hat z'_i / \lVert u \rVert` (with
:math:`z'_i` the item embedding at its trend when the model reads one), so each state part contributes
:math:`w_{\mathrm{state}}\, p \cdot \hat z'_i / \lVert u \rVert`. The parts sum to the score exactly:
``memory`` (the recurrent summary of every event so far), one ``event`` part per event in the attention
window, ``bias``, and the evidence the mix uses: ``transition`` (what followed the last item in
training), ``cooccurrence`` (items co-occurring with the recent ones), ``popularity`` (recent
popularity) and ``category_pop`` (popular in a category the recent events are in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.recommenders.evidence import GraphEvidence
from engine.replay.model import ReplayModel
from engine.replay.path import MemoryPath

VERBS = {"view": "viewed", "like": "liked", "cart": "carted", "purchase": "bought"}


EVIDENCE_TEXT = {
    "transition": "often next after",
    "cooccurrence": "co-occurs with your recent items, most with",
    "popularity": "popular lately",
    "category_pop": "popular in",
}


@dataclass(frozen=True)
class ScoreParts:
    """Contributions to the listed items' scores: ``memory``/``bias`` [L, K], ``events`` [L, R, K] (the
    state's, times its weight) and ``evidence`` {name: [L, K]} (weighted, the parts the mix uses)."""

    memory: np.ndarray
    events: np.ndarray
    bias: np.ndarray
    evidence: dict[str, np.ndarray] = field(default_factory=dict)

    def total(self) -> np.ndarray:
        """The sum of every part [L, K]: the score wherever an item is listed."""
        out = self.memory + self.events.sum(1) + self.bias
        for values in self.evidence.values():
            out = out + values
        return out


@torch.no_grad()
def score_parts(
    model: ReplayModel,
    path: MemoryPath,
    items: np.ndarray,
    levels: Tensor | None,
    evidence: dict[str, np.ndarray] | None = None,
) -> ScoreParts:
    """Parts of each listed item's score; ``items`` [L, K] catalogue rows (-1 where nothing is listed),
    ``evidence`` the weighted evidence parts of those items (``StepLists.evidence``)."""
    net = model.checkpoint.model
    rows = torch.from_numpy(np.maximum(items, 0)).to(model.device)  # [L, K]
    z = model.checkpoint.item_embeddings[rows]  # [L, K, d]
    if levels is not None and net.trend_direction is not None:
        z = z + levels.gather(1, rows).unsqueeze(-1) * net.trend_direction
    z_hat = torch.nn.functional.normalize(z, dim=-1)  # [L, K, d]
    scale = model.mix.weight("state") / path.u.norm(dim=-1).clamp_min(1e-12)[:, None]  # [L, 1]
    memory = torch.einsum("ld,lkd->lk", path.memory, z_hat) * scale
    events = torch.einsum("lrd,lkd->lrk", path.events, z_hat) * scale[:, :, None]
    bias = torch.einsum("d,lkd->lk", path.bias, z_hat) * scale
    return ScoreParts(memory.cpu().numpy(), events.cpu().numpy(), bias.cpu().numpy(), dict(evidence or {}))


def explanation_table(
    model: ReplayModel,
    path: MemoryPath,
    items: np.ndarray,
    scores: np.ndarray,
    parts: ScoreParts,
    event_types: np.ndarray,
    item_ids: np.ndarray,
    item_names: np.ndarray,
) -> pd.DataFrame:
    """One row per (step, rank, part): contribution, share of the score, the encoder edge's α from the
    source item (the event's; the last item for ``transition``; the recent item most similar to the
    listed one for ``cooccurrence``) to the listed item where the graph has one, and a one-line text."""
    L, K = items.shape
    R = path.alpha.shape[1]
    alpha = path.alpha.cpu().numpy()  # [L, R]
    valid = path.valid.cpu().numpy()
    listed = items >= 0
    step_grid, rank_grid = np.meshgrid(np.arange(L), np.arange(K), indexing="ij")  # [L, K]
    no_source = np.full((L, K), -1, dtype=np.int64)
    per_item = [("memory", parts.memory, no_source), ("bias", parts.bias, no_source)] + [
        (part, values, _evidence_sources(model, path, items, part)) for part, values in parts.evidence.items()
    ]  # (part, contribution [L, K], source step [L, K])
    frames = [
        pd.DataFrame(
            {
                "step": step_grid[listed],
                "rank": rank_grid[listed] + 1,
                "item": items[listed],
                "part": part,
                "source_step": sources[listed],
                "contribution": values[listed],
                "score": scores[listed],
                "slot_alpha": np.nan,
            }
        )
        for part, values, sources in per_item
    ]
    # event parts: slot r of step t is the event t - (R - 1 - r)
    t_idx, r_idx, k_idx = np.nonzero(valid[:, :, None] & listed[:, None, :])  # each [P]
    frames.append(
        pd.DataFrame(
            {
                "step": t_idx,
                "rank": k_idx + 1,
                "item": items[t_idx, k_idx],
                "part": "event",
                "source_step": t_idx - (R - 1 - r_idx),
                "contribution": parts.events[t_idx, r_idx, k_idx],
                "score": scores[t_idx, k_idx],
                "slot_alpha": alpha[t_idx, r_idx],
            }
        )
    )
    table = pd.concat(frames, ignore_index=True).sort_values(["step", "rank", "source_step"], kind="stable")
    source = table["source_step"].to_numpy()
    has_source = source >= 0
    table["item_id"] = np.asarray(model.catalogue, dtype=object)[table["item"].to_numpy(dtype=np.int64)]
    table["source_item"] = pd.Series(
        np.where(has_source, item_ids[np.maximum(source, 0)], None), index=table.index
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share"] = table["contribution"] / table["score"]
    src_rows = path.rows[np.maximum(source, 0)]
    table["path_alpha"] = np.where(has_source, _edge_alpha(model, src_rows, table["item"].to_numpy()), np.nan)
    categories = np.asarray(model.categories, dtype=object)
    table["item_category"] = categories[table["item"].to_numpy(dtype=np.int64)]
    table["text"] = _texts(table, event_types, item_names, model.mix.weight("transition"))
    return table[
        [
            "step",
            "rank",
            "item_id",
            "part",
            "source_step",
            "source_item",
            "contribution",
            "share",
            "path_alpha",
            "text",
        ]
    ].reset_index(drop=True)


def _edge_alpha(model: ReplayModel, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """α of the encoder edge source -> target for each pair (NaN where there is none or the source is
    not a catalogue item)."""
    out = np.full(len(sources), np.nan)
    graph = model.checkpoint.graph
    if graph.edge_index.numel() == 0:
        return out
    edge_index = graph.edge_index.cpu().numpy()
    n_nodes = int(model.in_ptr.shape[0] - 1)
    keys = edge_index[0] * n_nodes + edge_index[1]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    ok = sources < model.n_items
    wanted = sources * n_nodes + targets
    pos = np.searchsorted(sorted_keys, wanted)
    pos_safe = np.minimum(pos, len(sorted_keys) - 1)
    hit = ok & (sorted_keys[pos_safe] == wanted)
    out[hit] = model.edge_alpha[order[pos_safe[hit]]]
    return out


def _evidence_sources(model: ReplayModel, path: MemoryPath, items: np.ndarray, part: str) -> np.ndarray:
    """The step whose item an evidence part of each listed item comes from, [L, K] (-1: none).

    ``transition``: the last known event up to the step; ``cooccurrence``: among the recent distinct
    known items the part reads, the one most similar to the listed item (its latest step);
    ``category_pop``: the latest event in the listed item's category among the events the part reads.
    """
    L, K = items.shape
    out = np.full((L, K), -1, dtype=np.int64)
    evidence = model.evidence
    if evidence is None or part == "popularity":
        return out
    latest: dict[int, int] = {}  # known item -> its latest step so far
    known_steps: list[int] = []
    last_known = -1
    for t in range(L):
        if path.known[t]:
            latest.pop(int(path.rows[t]), None)
            latest[int(path.rows[t])] = t  # dict order = recency order, newest last
            last_known = t
            known_steps.append(t)
        if part == "transition":
            out[t] = last_known
            continue
        if part == "category_pop":
            out[t] = _category_sources(evidence, path.rows, known_steps, items[t])
            continue
        recent = list(latest)[::-1][: evidence.recent]  # most recent first
        if not recent:
            continue
        listed = np.maximum(items[t], 0)
        similarity = evidence.similarity[recent][:, listed].toarray()  # [r, K]
        best = similarity.argmax(0)  # [K]
        found = similarity.max(0) > 0
        out[t, found] = np.array([latest[recent[b]] for b in best])[found]
    return out


def _category_sources(
    evidence: GraphEvidence, rows: np.ndarray, known_steps: list[int], listed: np.ndarray
) -> np.ndarray:
    """For listed items [K]: the latest of the ``category_window`` latest known steps whose item is in
    the listed item's category, -1 where none (or no categories)."""
    out = np.full(len(listed), -1, dtype=np.int64)
    category_of = evidence.category_of
    if category_of is None:
        return out
    latest_in: dict[int, int] = {}
    for step in known_steps[-evidence.category_window :]:
        code = int(category_of[rows[step]])
        if code >= 0:
            latest_in[code] = step
    wanted = category_of[np.maximum(listed, 0)]
    for k, code in enumerate(wanted.tolist()):
        if listed[k] >= 0:
            out[k] = latest_in.get(code, -1)
    return out


def _texts(
    table: pd.DataFrame, event_types: np.ndarray, item_names: np.ndarray, transition_weight: float
) -> list[str]:
    # plain Python values: formatting numpy scalars row by row is several times slower
    columns = (
        table[c].to_numpy().tolist()
        for c in ("part", "source_step", "contribution", "share", "slot_alpha", "path_alpha", "item_category")
    )
    # "carted X (attention 0.41; " per (event, attention): the K listed items of a step share it
    heads: dict[tuple[int, float], str] = {}
    texts = []
    for part, source, contribution, share, slot_alpha, path_alpha, category in zip(*columns, strict=True):
        of_score = f"{share:.0%} of this score" if math.isfinite(share) else "of a zero score"
        edge = f"; graph edge α {path_alpha:.2f})" if math.isfinite(path_alpha) else ")"
        if part == "event":
            head = heads.get((source, slot_alpha))
            if head is None:
                verb = VERBS.get(str(event_types[source]), str(event_types[source]))
                head = f"{verb} {item_names[source]} (attention {slot_alpha:.2f}; "
                heads[(source, slot_alpha)] = head
            texts.append(f"{head}{of_score}{edge}")
        elif part in ("memory", "bias"):
            what = "long-term memory of the whole timeline" if part == "memory" else "model bias"
            texts.append(f"{what} ({of_score})")
        elif part == "popularity" or source < 0:
            what = EVIDENCE_TEXT["popularity"] if part == "popularity" else f"no {part}"
            texts.append(f"{what} ({of_score})")
        elif part == "category_pop":
            texts.append(
                f"{EVIDENCE_TEXT[part]} {category or 'its category'}, like your recent "
                f"{item_names[source]} ({of_score})"
            )
        elif part == "transition":
            followed = contribution / transition_weight if transition_weight > 0 else math.nan
            texts.append(
                f"{EVIDENCE_TEXT[part]} {item_names[source]} "
                f"({followed:.0%} of what followed it in training; {of_score}{edge}"
            )
        else:
            texts.append(f"{EVIDENCE_TEXT[part]} {item_names[source]} ({of_score}{edge}")
    return texts
