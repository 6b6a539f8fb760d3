"""Users' states at a chosen time, from the model's batch replay, and their Parquet form.

A state is the memory readout after a user's last event at or before ``at``: every user's events up to
``at`` go through a fresh memory at once (:func:`engine.replay.batch.replay_users`, the path training
validation and the GNN recommender use). Events on items the checkpoint never saw are skipped here (the
step-by-step replay embeds them from their text instead), so a user whose events are all on unknown items
has no state.

On disk a state table is Parquet with two columns, ``user_id`` (string) and ``state``
(list<float32>), plus the time in the file's metadata; :func:`iter_states` reads it in record batches,
so a platform's states never have to be in memory together with its events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.data.errors import DataError
from engine.data.timeline import Timeline

if TYPE_CHECKING:  # torch-backed; reading and writing state tables needs no torch
    from engine.replay.model import ReplayModel

STATE_COLUMNS = ("user_id", "state")
AT_KEY = b"interest_replay.at"  # Parquet metadata: the ISO time the states stand at
BATCH_ROWS = 65_536  # states per record batch when reading Parquet


@dataclass(frozen=True)
class UserStates:
    """``users`` [U] ids (text) and ``states`` [U, d] float32, each the user's state at ``at``."""

    users: np.ndarray
    states: np.ndarray
    at: pd.Timestamp | None = None

    def __len__(self) -> int:
        return len(self.users)


def user_states(model: ReplayModel, timeline: Timeline, at: pd.Timestamp | None = None) -> UserStates:
    """Every user's state after their events at or before ``at`` (all events when None)."""
    import torch

    from engine.model.sequences import UserSequences
    from engine.replay.batch import replay_users

    events = timeline
    if at is not None:
        events = timeline.subset((timeline.events["timestamp"] <= at).to_numpy())
    ckpt = model.checkpoint
    sequences = UserSequences.from_events(events.events, events.seconds(), model.item_index)
    if len(sequences) == 0:
        when = f" at or before {at.isoformat()}" if at is not None else ""
        raise DataError(f"no user has events on items the model knows{when}", path=timeline.source)
    with torch.no_grad():
        states, _ = replay_users(ckpt.model, ckpt.item_embeddings, sequences, ckpt.time_origin)
    return UserStates(
        users=np.array([str(u) for u in sequences.users], dtype=object),
        states=states.cpu().numpy().astype(np.float32),  # [U, d]
        at=at,
    )


def write_states(states: UserStates, path: str | Path) -> Path:
    """Write ``states`` as Parquet (``user_id``, ``state`` list<float32>); the time goes in the metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    d = states.states.shape[1] if states.states.ndim == 2 else 0
    flat = pa.array(np.ascontiguousarray(states.states, dtype=np.float32).ravel(), pa.float32())
    offsets = pa.array(np.arange(0, (len(states) + 1) * d, d, dtype=np.int32)[: len(states) + 1])
    table = pa.table(
        {
            "user_id": pa.array(states.users.astype(str), pa.string()),
            "state": pa.ListArray.from_arrays(offsets, flat),
        }
    )
    if states.at is not None:
        table = table.replace_schema_metadata({AT_KEY: states.at.isoformat().encode()})
    pq.write_table(table, path)
    return path


def iter_states(path: str | Path, batch_rows: int = BATCH_ROWS) -> Iterator[UserStates]:
    """The states of a Parquet state table, ``batch_rows`` users at a time."""
    path = Path(path)
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise DataError(f"cannot read the state table: {err}", path=str(path)) from None
    missing = [c for c in STATE_COLUMNS if c not in parquet.schema_arrow.names]
    if missing:
        raise DataError(f"a state table needs columns user_id and state; missing {missing}", path=str(path))
    raw_at = (parquet.schema_arrow.metadata or {}).get(AT_KEY)
    at = pd.Timestamp(raw_at.decode()) if raw_at else None
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(STATE_COLUMNS)):
        column = batch.column("state")
        lengths = column.value_lengths().to_numpy(zero_copy_only=False)
        if len(lengths) and (lengths != lengths[0]).any():
            raise DataError("every state must have the same length", path=str(path))
        d = int(lengths[0]) if len(lengths) else 0
        flat = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
        users = np.array(batch.column("user_id").to_pylist(), dtype=object).astype(str).astype(object)
        yield UserStates(users=users, states=flat.reshape(len(batch), d), at=at)


def read_states(path: str | Path) -> UserStates:
    """A whole state table in memory (for tables that fit; :func:`iter_states` otherwise)."""
    parts = list(iter_states(path))
    if not parts:
        return UserStates(np.empty(0, dtype=object), np.empty((0, 0), dtype=np.float32))
    return UserStates(
        users=np.concatenate([p.users for p in parts]),
        states=np.concatenate([p.states for p in parts]),
        at=parts[0].at,
    )
