"""Typed configuration of training: optimisation, negatives, validation tail, device, seed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.device import DEVICES

MIN_EPOCH_STEPS = 64  # Adam steps an epoch gets at least when the batch size follows the log's size


@dataclass
class TrainConfig:
    """How the interest model is trained; saved inside every checkpoint beside the model config."""

    epochs: int = 30  # upper bound: early stopping on the validation tail usually ends sooner
    patience: int = 4  # epochs without a better validation NDCG before stopping: small data is noisy
    min_epochs: int = 8  # no stopping before this: early validation peaks on small data are noise
    lr: float = 2e-3  # Adam step: the model is small and shallow, a bit above 1e-3 converges faster
    weight_decay: float = 0.0  # regularisation comes from dropout and id dropout instead
    # events per step, users of similar length batched together; 0 = by the log's size
    # (:meth:`batch_tokens`): small logs take small batches, so an epoch still holds many Adam steps
    tokens_per_batch: int = 0
    # events one epoch trains on at most: on larger logs a random share of the users, new every epoch, so
    # validation and early stopping come every few minutes whatever the log's size (0 = every event)
    epoch_events: int = 400_000
    negatives: int = 2048  # popularity-sampled negatives per step; catalogues no larger use a full softmax
    popularity_power: float = 0.75  # negatives drawn from popularity^0.75 (word2vec's smoothing)
    temperature: float = 0.2  # cosine logits divided by this: cosines live in [-1, 1], softmax needs range
    val_share: float = 0.1  # the latest share of training events is the validation tail (time-based)
    val_k: int = 20  # validation metric: NDCG@val_k, the headline cut-off of the evaluation
    # the refit trains for the last epoch whose tail NDCG is within this share of the best (0 = the best)
    epoch_tolerance: float = 0.0
    min_val_users: int = 5  # fewer validating users than this: no early stopping, train all epochs
    val_users: int = 1000  # at most this many validating users, a fixed sample (the same every epoch, so
    # epochs compare on the same users): validating all 6k users of a 1M-event log cost ~a minute an epoch
    # The encoder's graph during training holds only the first graph_share of the training time, and only
    # targets after it are predicted: no edge the encoder reads was made by the event it predicts (at test
    # time the graph holds training events only, so training must not learn to lean on future edges).
    graph_share: float = 0.5
    # graph_folds >= 2 replaces the prefix graph: users are split into that many folds, and a user's
    # events are encoded on the graph of the other folds' training events. No edge the encoder reads was
    # made by the user's own events (so none by the target), and every training target is predicted.
    graph_folds: int = 0
    # judge the score mix on the tail against GRU4Rec (CE) too (fitted on the events before the tail, as
    # the evidence), beside the evidence parts alone: the goal's baselines include that learned one
    learned_reference: bool = False
    horizon: int = 1  # each state predicts one of the next `horizon` events, drawn uniformly (1 = next item)
    skip_repeat_targets: bool = True  # recommendations exclude seen items, so do not learn to predict them
    grad_clip: float = 5.0  # clip the gradient norm: long sequences occasionally spike
    seed: int = 0  # seeds torch and numpy: same data + config + seed gives the same model on CPU
    device: str = "auto"  # auto | cpu | cuda: auto takes CUDA when available
    progress: bool = True  # tqdm progress bars on stderr
    threads: int = 0  # torch CPU threads; 0 leaves torch's default

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self.device!r}")
        if self.tokens_per_batch < 0:
            raise ValueError(f"tokens_per_batch must be >= 0 (0: by size), got {self.tokens_per_batch}")
        if self.epochs < 1 or self.horizon < 1 or not 0 <= self.val_share < 1:
            raise ValueError("epochs and horizon must be positive and val_share in [0, 1)")
        if self.graph_folds == 1 or self.graph_folds < 0:
            raise ValueError(f"graph_folds must be 0 (prefix graph) or >= 2, got {self.graph_folds}")
        if not 0 <= self.epoch_tolerance < 1:
            raise ValueError(f"epoch_tolerance must be in [0, 1), got {self.epoch_tolerance}")
        if not 0 < self.graph_share < 1:
            raise ValueError(f"graph_share must be in (0, 1), got {self.graph_share}")

    def batch_tokens(self, events: int) -> int:
        """Events per step for an epoch over a log of ``events``: ``tokens_per_batch`` when set, else the
        largest of 4096, 2048 and 1024 that gives the epoch at least ``MIN_EPOCH_STEPS`` steps (1024 below).

        On ml-100k's training parts (~90k events) 4096 left about 20 Adam steps an epoch; 1024 reads
        +5% to +9% NDCG@20 inside them. On a 1M-event log 4096 already gives ~100 steps an epoch, and
        1024 stopped 3% lower on its tail (benchmarks/results/gnn_quality.md).
        """
        if self.tokens_per_batch > 0:
            return self.tokens_per_batch
        per_epoch = events if self.epoch_events <= 0 else min(events, self.epoch_events)
        for tokens in (4096, 2048):
            if per_epoch >= MIN_EPOCH_STEPS * tokens:
                return tokens
        return 1024

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
