r"""GRU4Rec (CE): a cross-entropy GRU4Rec as RecBole implements it, **not** the official GRU4Rec.

The official implementation (Hidasi et al., ICLR 2016; Hidasi & Karatzoglou, CIKM 2018) trains with
session-parallel mini-batches, sampled negatives and BPR-max/TOP1-max losses. This model follows RecBole's
``GRU4Rec`` instead: item embedding 64, one GRU layer (hidden size 128 by default), dropout 0.3 on the
embeddings, Adam (learning rate 1e-3 by default), loss = softmax cross-entropy over every catalogue item
(no sampled negatives), scores = dense(GRU output) · item embeddings (tied input/output embeddings). Its
display name says so: ``GRU4Rec (CE)`` (the CLI also takes ``gru4rec``). Epochs, hidden size and
learning rate are its knobs; ``evaluate --tune`` picks them on the training part's validation tail
(:mod:`engine.evaluation.tuning`).

.. math::
    h_t = \mathrm{GRU}(\mathrm{drop}(E\,x_t), h_{t-1}), \qquad
    \mathrm{score}(u, j) = (W h_T + b)^\top E_j, \qquad
    \mathcal{L} = -\sum_t \log \mathrm{softmax}_j\big((W h_t + b)^\top E\big)_{x_{t+1}}

A user's sequence is their time-ordered training history with consecutive repeats of one item collapsed
(re-viewing the same page is not a step). Training uses every next-item step: sequences are cut into
windows of ``max_len + 1`` items and the loss is taken at every position (for a causal GRU this equals
RecBole's one-instance-per-prefix augmentation, with context restarting at each window). Scoring reads a
user's last ``max_len`` items. ``epochs`` is small by default so training stays practical on 2 CPU cores,
and CUDA is used when available.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from engine.data.timeline import Timeline
from engine.device import resolve_device
from engine.recommenders.base import Recommender
from engine.recommenders.popularity import recent_popularity

# RecBole GRU4Rec's defaults; hidden size and learning rate are knobs of GRU4RecConfig.
EMBEDDING_SIZE: Final = 64
HIDDEN_SIZE: Final = 128
DROPOUT: Final = 0.3
LEARNING_RATE: Final = 1e-3
_NONE = np.empty(0, dtype=np.int64)  # the history of a user never seen in training
IGNORE = -100  # target value of padded positions (F.cross_entropy's ignore_index)
MAX_LOGIT_CELLS = (
    40_000_000  # positions x items per step (~160 MB of logits); fewer windows on big catalogues
)


@dataclass
class GRU4RecConfig:
    epochs: int = (
        10  # passes over every next-item step: ~1,500 Adam steps on ml-100k, about a minute on 2 cores
    )
    hidden_size: int = HIDDEN_SIZE  # GRU state size (RecBole's default)
    learning_rate: float = LEARNING_RATE  # Adam's step size (RecBole's default)
    max_len: int = 50  # RecBole's MAX_ITEM_LIST_LENGTH: the items a prediction may look back on
    batch_size: int = 16  # windows per step (<= 800 next-item steps): many small Adam steps per epoch
    seed: int = 0  # weights, dropout and batch order are all drawn from it
    device: str = "auto"  # auto | cpu | cuda: "auto" = CUDA when available, else CPU
    progress: bool = False  # a bar of training steps on stderr, epoch and loss beside it


class GRU4RecNet(nn.Module):
    """Embedding -> dropout -> GRU -> dense, with tied output embeddings (item 0 = padding).

    Shapes: ``forward`` [B, T] item ids (1-based, 0 = pad) -> [B, T, EMBEDDING_SIZE];
    ``logits`` [P, EMBEDDING_SIZE] -> [P, n_items].
    """

    def __init__(self, n_items: int, hidden_size: int = HIDDEN_SIZE) -> None:
        super().__init__()
        self.item_embedding = nn.Embedding(n_items + 1, EMBEDDING_SIZE, padding_idx=0)
        self.emb_dropout = nn.Dropout(DROPOUT)
        self.gru = nn.GRU(EMBEDDING_SIZE, hidden_size, num_layers=1, bias=False, batch_first=True)
        self.dense = nn.Linear(hidden_size, EMBEDDING_SIZE)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # RecBole's initialisation: xavier normal for the embedding, xavier uniform for the GRU weights
        nn.init.xavier_normal_(self.item_embedding.weight)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()
        for name, weight in self.gru.named_parameters():
            if name.startswith("weight"):
                nn.init.xavier_uniform_(weight)
        self.dense.reset_parameters()

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        x = self.emb_dropout(self.item_embedding(seq))  # [B, T, E]
        out, _ = self.gru(x)  # [B, T, H]
        return self.dense(out)  # [B, T, E]

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.item_embedding.weight[1:].T  # [P, n_items]


def collapse_repeats(seq: np.ndarray) -> np.ndarray:
    """Drop consecutive repeats of one item: [3, 3, 5, 3] -> [3, 5, 3]."""
    if len(seq) < 2:
        return seq
    return seq[np.r_[True, seq[1:] != seq[:-1]]]


class GRU4Rec(Recommender):
    """A GRU over each user's item sequence predicts the next item over the whole catalogue (cross-entropy,
    as in RecBole; not the official GRU4Rec)."""

    name = "GRU4Rec (CE)"

    def __init__(self, config: GRU4RecConfig | None = None) -> None:
        super().__init__()
        self.config = config or GRU4RecConfig()
        self.device = resolve_device(self.config.device)
        self.net: GRU4RecNet | None = None
        self.cold_scores = np.empty(0, dtype=np.float32)
        self.losses: list[float] = []  # mean training loss per epoch

    def _windows(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Training windows [N, max_len]: inputs (ids + 1, 0 = pad) and targets (ids, IGNORE = pad)."""
        span = self.config.max_len
        inputs, targets = [], []
        for seq in self.history.values():
            seq = collapse_repeats(seq)
            for start in range(0, max(len(seq) - 1, 0), span):
                window = seq[start : start + span + 1]
                inp = np.zeros(span, dtype=np.int64)
                tgt = np.full(span, IGNORE, dtype=np.int64)
                inp[: len(window) - 1] = window[:-1] + 1
                tgt[: len(window) - 1] = window[1:]
                inputs.append(inp)
                targets.append(tgt)
        if not inputs:
            empty = torch.zeros((0, span), dtype=torch.long)
            return empty, empty
        return torch.from_numpy(np.stack(inputs)), torch.from_numpy(np.stack(targets))

    def fit(self, train: Timeline, on_epoch: Callable[[int], object] | None = None) -> GRU4Rec:
        """Train; ``on_epoch(epochs done)`` is called after each epoch with the network in eval mode
        (the tuner reads the validation tail there)."""
        self._index(train)
        self.cold_scores = recent_popularity(train, self.item_index)
        cfg = self.config
        torch.manual_seed(cfg.seed)  # weights and dropout masks
        order_rng = torch.Generator().manual_seed(cfg.seed)  # batch order, independent of the device
        self.net = GRU4RecNet(self.n_items, cfg.hidden_size).to(self.device)
        optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate)
        inputs, targets = self._windows()
        per_step = max(1, min(cfg.batch_size, MAX_LOGIT_CELLS // max(cfg.max_len * self.n_items, 1)))
        self.losses = []
        steps_per_epoch = math.ceil(len(inputs) / per_step)
        # nested under the caller's bar (position 1) and gone when done: the caller's bar goes on
        bar = tqdm(total=cfg.epochs * steps_per_epoch, desc="GRU4Rec", unit="step", position=1, leave=False,
                   file=sys.stderr, disable=not cfg.progress)  # fmt: skip
        with bar:
            for epoch in range(cfg.epochs):
                bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs}")
                self.net.train()
                total, count = 0.0, 0
                perm = torch.randperm(len(inputs), generator=order_rng)
                for start in range(0, len(perm), per_step):
                    batch = perm[start : start + per_step]
                    inp, tgt = inputs[batch], targets[batch]
                    width = int((tgt != IGNORE).sum(dim=1).max())
                    inp, tgt = inp[:, :width].to(self.device), tgt[:, :width].to(self.device)
                    out = self.net(inp)  # [B, T, E]
                    valid = tgt != IGNORE
                    loss = F.cross_entropy(self.net.logits(out[valid]), tgt[valid])  # full catalogue
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    total += float(loss.detach()) * int(valid.sum())
                    count += int(valid.sum())
                    bar.update()
                self.losses.append(total / count if count else math.nan)
                bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs}, loss {self.losses[-1]:.3f}")
                if on_epoch is not None:
                    self.net.eval()
                    on_epoch(epoch + 1)
        self.net.eval()
        return self

    def score(self, users: Sequence[str]) -> np.ndarray:
        if self.net is None:
            raise RuntimeError("GRU4Rec.score called before fit")
        return self.score_histories([self.history.get(u, _NONE) for u in users])

    @torch.no_grad()
    def score_histories(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        """Scores after each history's last ``max_len`` items (consecutive repeats collapsed), weights
        frozen; empty histories: recent popularity."""
        if self.net is None:
            raise RuntimeError("GRU4Rec.score_histories called before fit")
        span = self.config.max_len
        seqs = [collapse_repeats(np.asarray(h, dtype=np.int64))[-span:] for h in histories]
        warm = [row for row, seq in enumerate(seqs) if len(seq)]
        scores = np.empty((len(histories), self.n_items), dtype=np.float32)
        if warm:
            lengths = torch.tensor([len(seqs[row]) for row in warm])
            inp = torch.zeros((len(warm), int(lengths.max())), dtype=torch.long)
            for pos, row in enumerate(warm):
                inp[pos, : len(seqs[row])] = torch.from_numpy(seqs[row] + 1)
            out = self.net(inp.to(self.device))  # [B, T, E]; right padding cannot reach earlier steps
            rows = torch.arange(len(warm), device=self.device)
            last = out[rows, (lengths - 1).to(self.device)]  # [B, E]
            scores[warm] = self.net.logits(last).float().cpu().numpy()
        cold = [row for row, seq in enumerate(seqs) if not len(seq)]
        scores[cold] = self.cold_scores
        return scores
