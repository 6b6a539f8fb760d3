r"""Why an item is listed: its score split into the state's additive parts.

The state is :math:`u = W_h h + \sum_j \alpha_j W_v v_j + b` (``UserMemory.readout_parts``) and the
score is the cosine :math:`\cos(u, z'_i) = u \cdot \hat z'_i / \lVert u \rVert` (with :math:`z'_i` the
item embedding at its trend when the model reads one), so each part contributes
:math:`p \cdot \hat z'_i / \lVert u \rVert` and the parts sum to the score exactly: ``memory`` (the
recurrent summary of every event so far), one ``event`` part per event in the attention window, and
``bias``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.replay.model import ReplayModel
from engine.replay.path import MemoryPath

VERBS = {"view": "viewed", "like": "liked", "cart": "carted", "purchase": "bought"}


@dataclass(frozen=True)
class ScoreParts:
    """Contributions to the listed items' scores: ``memory``/``bias`` [L, K], ``events`` [L, R, K]."""

    memory: np.ndarray
    events: np.ndarray
    bias: np.ndarray


@torch.no_grad()
def score_parts(model: ReplayModel, path: MemoryPath, items: np.ndarray, levels: Tensor | None) -> ScoreParts:
    """Parts of each listed item's score; ``items`` [L, K] catalogue rows (-1 where nothing is listed)."""
    net = model.checkpoint.model
    rows = torch.from_numpy(np.maximum(items, 0)).to(model.device)  # [L, K]
    z = model.checkpoint.item_embeddings[rows]  # [L, K, d]
    if levels is not None and net.trend_direction is not None:
        z = z + levels.gather(1, rows).unsqueeze(-1) * net.trend_direction
    z_hat = torch.nn.functional.normalize(z, dim=-1)  # [L, K, d]
    norm = path.u.norm(dim=-1).clamp_min(1e-12)[:, None]  # [L, 1]
    memory = torch.einsum("ld,lkd->lk", path.memory, z_hat) / norm
    events = torch.einsum("lrd,lkd->lrk", path.events, z_hat) / norm[:, :, None]
    bias = torch.einsum("d,lkd->lk", path.bias, z_hat) / norm
    return ScoreParts(memory.cpu().numpy(), events.cpu().numpy(), bias.cpu().numpy())


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
    event's item to the listed item where the graph has one, and a one-line text."""
    L, K = items.shape
    R = path.alpha.shape[1]
    alpha = path.alpha.cpu().numpy()  # [L, R]
    valid = path.valid.cpu().numpy()
    listed = items >= 0
    step_grid, rank_grid = np.meshgrid(np.arange(L), np.arange(K), indexing="ij")  # [L, K]
    frames = []
    for part, values in (("memory", parts.memory), ("bias", parts.bias)):
        frames.append(
            pd.DataFrame(
                {
                    "step": step_grid[listed],
                    "rank": rank_grid[listed] + 1,
                    "item": items[listed],
                    "part": part,
                    "source_step": -1,
                    "contribution": values[listed],
                    "score": scores[listed],
                    "slot_alpha": np.nan,
                }
            )
        )
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
    is_event = source >= 0
    table["item_id"] = np.asarray(model.catalogue, dtype=object)[table["item"].to_numpy(dtype=np.int64)]
    table["source_item"] = pd.Series(
        np.where(is_event, item_ids[np.maximum(source, 0)], None), index=table.index
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share"] = table["contribution"] / table["score"]
    src_rows = path.rows[np.maximum(source, 0)]
    table["path_alpha"] = np.where(is_event, _edge_alpha(model, src_rows, table["item"].to_numpy()), np.nan)
    table["text"] = _texts(table, event_types, item_names, is_event)
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


def _texts(
    table: pd.DataFrame, event_types: np.ndarray, item_names: np.ndarray, is_event: np.ndarray
) -> list[str]:
    # plain Python values: formatting numpy scalars row by row is several times slower
    columns = (
        table[c].to_numpy().tolist() for c in ("part", "source_step", "share", "slot_alpha", "path_alpha")
    )
    # "carted X (attention 0.41; " per (event, attention): the K listed items of a step share it
    heads: dict[tuple[int, float], str] = {}
    texts = []
    for event, part, source, share, slot_alpha, path_alpha in zip(is_event.tolist(), *columns, strict=True):
        of_score = f"{share:.0%} of this score" if math.isfinite(share) else "of a zero score"
        if not event:
            what = "long-term memory of the whole timeline" if part == "memory" else "model bias"
            texts.append(f"{what} ({of_score})")
            continue
        head = heads.get((source, slot_alpha))
        if head is None:
            verb = VERBS.get(str(event_types[source]), str(event_types[source]))
            head = heads[(source, slot_alpha)] = f"{verb} {item_names[source]} (attention {slot_alpha:.2f}; "
        if math.isfinite(path_alpha):
            texts.append(f"{head}{of_score}; graph edge α {path_alpha:.2f})")
        else:
            texts.append(f"{head}{of_score})")
    return texts
