"""The memory's path through one user's timeline: states, readout attention and the state's parts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.model.inputs import item_texts
from engine.model.memory import event_type_codes
from engine.model.new_items import embed_new_items
from engine.replay.model import ReplayModel


@dataclass(frozen=True)
class MemoryPath:
    """What the memory computed at each of a user's L events (rows = steps).

    ``rows`` [L] each event's row in ``z`` (catalogue items first, then the user's unknown items);
    ``u`` the state after each event; ``alpha`` / ``valid`` the readout attention over the window of the
    last R events (slot R-1 = the event itself); ``memory`` / ``events`` / ``bias`` the state's additive
    parts: ``u = memory + events.sum(1) + bias``.
    """

    rows: np.ndarray  # [L] int64
    known: np.ndarray  # [L] bool
    z: Tensor  # [n_items + n_new, d]
    u: Tensor  # [L, d]
    alpha: Tensor  # [L, R]
    valid: Tensor  # [L, R] bool
    memory: Tensor  # [L, d]
    events: Tensor  # [L, R, d]
    bias: Tensor  # [d]


@torch.no_grad()
def memory_path(model: ReplayModel, events: pd.DataFrame, seconds: np.ndarray) -> MemoryPath:
    """Run one user's time-ordered ``events`` (with unix ``seconds``) through a fresh memory at once.

    Items the checkpoint never saw are embedded from their text and category first (as ``recommend``
    does), so no event is dropped.
    """
    ckpt = model.checkpoint
    net = ckpt.model
    was_training = net.training
    net.eval()
    ids = events["item_id"].astype(str).to_numpy()
    known = np.array([item in model.item_index for item in ids], dtype=bool)
    new_items = list(dict.fromkeys(ids[~known]))
    z = ckpt.item_embeddings
    if new_items:
        categories = events.drop_duplicates("item_id", keep="last").set_index("item_id")["category"]
        z_new = embed_new_items(
            ckpt, new_items, item_texts(events), {str(k): v for k, v in categories.items()}
        )
        z = torch.cat([z, z_new])
    new_row = {item: model.n_items + i for i, item in enumerate(new_items)}
    rows = np.array([model.item_index.get(item, new_row.get(item, -1)) for item in ids], dtype=np.int64)
    device = z.device
    items = torch.from_numpy(rows).to(device)[None]  # [1, L]
    types = torch.from_numpy(event_type_codes(events["event_type"].astype(str))).to(device)[None]
    times = torch.from_numpy((seconds - ckpt.time_origin).astype(np.float32)).to(device)[None]
    lengths = torch.tensor([len(rows)], device=device)
    trace, _ = net.memory.trace(z[items], types, times, lengths)
    memory, parts, bias = net.memory.readout_parts(trace.h[0], trace.alpha[0], trace.window_v[0])
    net.train(was_training)
    return MemoryPath(
        rows=rows,
        known=known,
        z=z,
        u=trace.u[0],
        alpha=trace.alpha[0],
        valid=trace.valid[0],
        memory=memory,
        events=parts,
        bias=bias,
    )
