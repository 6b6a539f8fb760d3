"""One training epoch: next-interaction prediction over users' sequences, batched by length.

The prediction for a user's event t is made from the memory after events 1..t-1 only; the memory takes
event t in afterwards. A user's memory depends on nothing but that user's own events and the item
embeddings, so replaying users' sequences in parallel is the same as replaying the global stream.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from engine.model.inputs import GraphInputs
from engine.model.model import InterestModel
from engine.model.sequences import SequenceBatch, length_batches
from engine.training.config import TrainConfig
from engine.training.data import TrainingData
from engine.training.loss import CosineFn, next_item_loss, plain_cosine

# called before each batch with (batches done, batches in the epoch)
BatchReport = Callable[[int, int], None]


def _trend_cosine(model: InterestModel, u: Tensor, z: Tensor, levels: Tensor | None) -> CosineFn:
    """Scores of states u [P, d] against candidate items, each row at its own trend levels [P, n]."""
    if levels is None:
        return plain_cosine(u, z)

    def cosine(candidates: Tensor | None) -> Tensor:
        if candidates is None:
            return model.fitted_score(u, z, levels)
        return model.fitted_score(u, z[candidates], levels[:, candidates])

    return cosine


def predictions(
    model: InterestModel,
    data: TrainingData,
    batch: SequenceBatch,
    config: TrainConfig,
    generator: torch.Generator,
) -> tuple[Callable[[Tensor, Tensor], Tensor], Tensor, Tensor]:
    """Which positions are predicted: a function from item embeddings (of the items ``rows`` [n] of the
    catalogue, ``z`` [n', d]) to their user states [P, d], the targets [P] and the trend snapshot each
    prediction may read [P].

    Position t+1 is predicted from u[:, t], the state after events <= t: never from event t+1; the
    trend is read at event t's bucket start, so it too holds only events before event t.
    """
    B, L = batch.items.shape
    device = batch.items.device
    position = torch.arange(L - 1, device=device).expand(B, L - 1)  # [B, L-1]
    mask = position + 1 < batch.lengths[:, None]  # target exists
    # the target is one of the next `horizon` events (the next one when horizon = 1)
    ahead = torch.randint(1, config.horizon + 1, (B, L - 1), device=device, generator=generator)
    target_position = torch.minimum(position + ahead, (batch.lengths[:, None] - 1).clamp_min(0))
    if config.skip_repeat_targets:
        mask = mask & ~batch.repeat.gather(1, target_position)
    # only targets after the training graph's cut: the graph holds no edge they made
    mask = mask & (data.event_seconds[batch.rows.gather(1, target_position)] >= data.graph_cut)
    targets = batch.items.gather(1, target_position)[mask]  # [P]
    buckets = data.event_bucket[batch.rows[:, :-1][mask]]  # [P]

    def states(z: Tensor, rows: Tensor) -> Tensor:
        """``rows`` [n_items]: each catalogue item's row of ``z`` (-1 where absent)."""
        u, _ = model(z, rows[batch.items], batch.types, batch.times, batch.lengths)  # [B, L, d]
        return u[:, :-1][mask]  # [P, d]

    return states, targets, buckets


def step_embeddings(
    model: InterestModel,
    data: TrainingData,
    graph: GraphInputs,
    items: Tensor,
    targets: Tensor,
    generator: torch.Generator,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor | None]:
    """The item embeddings one step reads, on ``graph`` (the batch's users' encoder graph): ``z`` [M, d]
    of the catalogue items ``needed`` [M] (sorted),
    ``row_of`` [n_items] each item's row of ``z`` (-1 where absent), and the sampled negatives [S] (rows
    of ``z``) with ``log_q`` [M], or None for a full softmax.

    With sampled negatives only the batch's items, its targets and the negatives are embedded, on the
    subgraph their embeddings read (:meth:`InterestModel.item_embeddings_of`: the same values as the
    whole catalogue's rows); a full softmax embeds every item.
    """
    device = items.device
    negatives = log_q = None
    if data.negatives is None:
        needed = torch.arange(data.n_items, device=device)
        z = model.item_embeddings(graph)  # [n_items, d], recomputed: encoder weights changed
    else:
        drawn = data.negatives.draw(generator)  # [S]
        needed = torch.unique(torch.cat([items.flatten(), targets, drawn]))  # [M]
        z = model.item_embeddings_of(graph, needed)  # [M, d]
        log_q = data.negatives.log_q[needed]  # [M]
    row_of = torch.full((data.n_items,), -1, dtype=torch.long, device=device)
    row_of[needed] = torch.arange(len(needed), device=device)
    if data.negatives is not None:
        negatives = row_of[drawn]
    return z, row_of, needed, negatives, log_q


def epoch_batches(
    lengths: np.ndarray, config: TrainConfig, rng: np.random.Generator, groups: np.ndarray | None = None
) -> list[np.ndarray]:
    """This epoch's batches of users (rows of ``lengths`` [U]): every user, or on a log larger than
    ``epoch_events`` the first of the shuffled batches up to about that many events (a random share
    of the users, new each epoch). With ``groups`` [U] a batch never mixes groups (one encoder graph
    per batch)."""
    tokens = config.batch_tokens(int(lengths.sum()))
    if groups is None or len(np.unique(groups)) < 2:
        batches = length_batches(lengths, tokens, rng)
    else:
        batches = []
        for group in np.unique(groups):
            batches += length_batches(np.where(groups == group, lengths, 0), tokens, rng)
        order = rng.permutation(len(batches))
        batches = [batches[i] for i in order]
    if config.epoch_events <= 0 or int(lengths.sum()) <= config.epoch_events:
        return batches
    events = np.cumsum([int(lengths[rows].sum()) for rows in batches])
    return batches[: max(1, int(np.searchsorted(events, config.epoch_events, side="right")))]


def train_epoch(
    model: InterestModel,
    optimizer: torch.optim.Optimizer,
    data: TrainingData,
    config: TrainConfig,
    epoch: int,
    report: BatchReport | None = None,
) -> float:
    """One pass over the training users (0-based ``epoch`` seeds its streams); the mean loss per target."""
    device = data.event_seconds.device
    rng = np.random.default_rng([config.seed, epoch])  # per-epoch streams: resuming replays them exactly
    generator = torch.Generator(device=device).manual_seed(config.seed * 1_000_003 + epoch)
    torch.manual_seed(config.seed * 7_919 + epoch)  # dropout masks
    model.train()
    sequences = data.sequences
    batches = epoch_batches(sequences.lengths, config, rng, data.user_graph)
    total, count = 0.0, 0
    bar = tqdm(batches, desc=f"epoch {epoch + 1}", disable=not config.progress, leave=False, unit="batch")
    for done, rows in enumerate(bar):
        if report is not None:
            report(done, len(batches))
        batch = sequences.batch(rows).to(device)
        states, targets, buckets = predictions(model, data, batch, config, generator)
        if not len(targets):
            continue
        graph = data.graphs[int(data.user_graph[rows[0]])]
        z, row_of, needed, negatives, log_q = step_embeddings(
            model, data, graph, batch.items, targets, generator
        )
        u = states(z, row_of)
        # [P, M]: each prediction's own moment (None when the model has no trend)
        reads_trend = model.trend_direction is not None or model.popularity_weight is not None
        levels = data.trend_levels[:, needed][buckets] if reads_trend else None
        cosine = _trend_cosine(model, u, z, levels)
        loss = next_item_loss(cosine, row_of[targets], config.temperature, negatives, log_q)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        total += float(loss.detach()) * len(targets)
        count += len(targets)
        bar.set_postfix(loss=f"{total / max(count, 1):.3f}")
    return total / max(count, 1)
