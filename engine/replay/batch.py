"""Batch replay: every user's events through the memory from a fresh start, giving final user states."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from engine.model.memory import MemoryState
from engine.model.model import InterestModel
from engine.model.sequences import UserSequences, length_batches

REPLAY_TOKENS = (
    16_384  # padded events per replay batch: bounds memory at ~REPLAY_TOKENS x recent x dim floats
)


@torch.no_grad()
def replay_users(
    model: InterestModel,
    z: Tensor,
    sequences: UserSequences,
    time_origin: float,
    tokens_per_batch: int = REPLAY_TOKENS,
) -> tuple[Tensor, MemoryState]:
    """States u [U, d] and memories of all users of ``sequences`` after their last event.

    Memory times are seconds since ``time_origin``, so ``model.memory.step`` can continue from them.
    Users without events get the readout of an empty memory. ``z`` [n_items, d] are the item
    embeddings, computed once by the caller. Work is O(events), independent of the catalogue size.
    """
    was_training = model.training
    model.eval()
    device = z.device
    n_users = len(sequences)
    states = torch.empty(n_users, z.shape[1], device=device)
    memory = model.memory.empty_state(n_users, device)
    empty = np.flatnonzero(sequences.lengths == 0)
    if len(empty):
        states[torch.from_numpy(empty)] = model.memory.readout(memory.index(torch.from_numpy(empty)))
    for rows in length_batches(sequences.lengths, tokens_per_batch, rng=None):
        batch = sequences.batch(rows, origin=time_origin).to(device)
        _, final = model(z, batch.items, batch.types, batch.times, batch.lengths)
        index = torch.from_numpy(rows).to(device)
        states[index] = model.memory.readout(final)
        for name in MemoryState.__dataclass_fields__:
            getattr(memory, name)[index] = getattr(final, name).to(getattr(memory, name).dtype)
    model.train(was_training)
    return states, memory
