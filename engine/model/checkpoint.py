"""Checkpoints: weights + configs + the data they were trained on (fingerprint, catalogue, id maps).

Saved with ``torch.save`` as plain containers of tensors, strings and numbers, so ``torch.load(...,
weights_only=True)`` reads them without unpickling arbitrary objects.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from engine.data.errors import DataError
from engine.data.timeline import Timeline
from engine.graph import GraphConfig
from engine.model.config import ModelConfig
from engine.model.inputs import Vocabulary
from engine.model.model import InterestModel

FORMAT = "interest-replay-model/2"
OLDER_FORMATS = ("interest-replay-model/1",)
# recommend/observe accept new items, but at least this share of the events must be on known items
MIN_KNOWN_EVENT_SHARE = 0.5


def _tensor_or_empty(values: np.ndarray | None) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values)) if values is not None else torch.zeros(0)


def _array_or_none(values: torch.Tensor) -> np.ndarray | None:
    return values.cpu().numpy() if values.numel() else None


@dataclass(frozen=True)
class EncoderGraph:
    """The graph the encoder read, as it read it: nodes ``0..n_items-1`` are the catalogue items in
    vocabulary order, then one node per category (``category_ids``); each target keeps its strongest
    incoming edges. ``alpha`` is the encoder's own attention on each edge (mean over heads and layers).
    """

    edge_index: torch.Tensor  # [2, E] source -> target
    edge_weight: torch.Tensor  # [E] co-occurrence weight (categories: membership weight)
    alpha: torch.Tensor  # [E]
    category_ids: tuple[str, ...]

    @classmethod
    def empty(cls) -> EncoderGraph:
        return cls(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), torch.zeros(0), ())


@dataclass
class Checkpoint:
    """Everything ``recommend`` needs without the training data.

    ``item_embeddings`` [n_items, d] are computed once at save time over the full training graph;
    ``popularity`` [n_items] is the recent popularity of the training data (cold-start order);
    ``trend_half_life_s`` the half-life of the item trend read at scoring time.
    """

    model: InterestModel
    vocab: Vocabulary
    texts: dict[str, str]
    item_embeddings: torch.Tensor
    popularity: np.ndarray
    time_origin: float
    fingerprint: str
    graph_config: GraphConfig
    train_config: dict[str, Any]
    trend_half_life_s: float = 86_400.0
    sentence_dim: int = 0
    history: list[dict[str, float]] | None = None
    graph: EncoderGraph = field(default_factory=EncoderGraph.empty)
    item_first_seen: np.ndarray | None = None  # [n_items] unix seconds of each item's first training event
    trained_until: float = math.nan  # unix seconds of the last training event
    item_names: tuple[str, ...] = ()  # [n_items] latest name ("" when none), for display
    item_categories: tuple[str, ...] = ()  # [n_items] latest category ("" when none)
    baselines: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # fitted on the same events
    # with ModelConfig.trend: item trend snapshots over the training span (levels at each bound, from
    # earlier events only), so a replay step reads the trend as of its own time
    trend_bounds: np.ndarray | None = None  # [B] unix seconds
    trend_levels: np.ndarray | None = None  # [B, n_items]
    # weights of the score's parts (engine.recommenders.score_mix), fitted on the validation tail;
    # empty = the plain state cosine
    score_mix: dict[str, float] = field(default_factory=dict)
    # the mix of lists asked within a session (score_mix: after a break); None = score_mix (older files)
    session_mix: dict[str, float] | None = None

    @property
    def session_weights(self) -> dict[str, float]:
        """The weights of lists asked within a session: ``session_mix``, or ``score_mix`` for a file
        written before there were two (it then serves both moments)."""
        return self.score_mix if self.session_mix is None else self.session_mix

    def save(self, path: str | Path) -> None:
        payload = {
            "format": FORMAT,
            "model_config": self.model.config.to_dict(),
            "train_config": self.train_config,
            "graph_config": asdict(self.graph_config),
            "state_dict": self.model.state_dict(),
            "sentence_dim": self.sentence_dim,
            "items": list(self.vocab.items),
            "categories": list(self.vocab.categories),
            "text_items": list(self.texts),
            "text_values": list(self.texts.values()),
            "item_embeddings": self.item_embeddings.detach().cpu(),
            "popularity": torch.from_numpy(np.asarray(self.popularity, dtype=np.float32)),
            "time_origin": float(self.time_origin),
            "trend_half_life_s": float(self.trend_half_life_s),
            "fingerprint": self.fingerprint,
            "history": list(self.history or []),
            "graph_edge_index": self.graph.edge_index.detach().cpu(),
            "graph_edge_weight": self.graph.edge_weight.detach().cpu(),
            "graph_alpha": self.graph.alpha.detach().cpu(),
            "graph_categories": list(self.graph.category_ids),
            "item_first_seen": torch.from_numpy(
                np.array(self.item_first_seen if self.item_first_seen is not None else [], dtype=np.float64)
            ),
            "trained_until": float(self.trained_until),
            "item_names": list(self.item_names),
            "item_categories": list(self.item_categories),
            "baselines": {name: dict(state) for name, state in self.baselines.items()},
            "trend_bounds": _tensor_or_empty(self.trend_bounds),
            "trend_levels": _tensor_or_empty(self.trend_levels),
            "score_mix": {name: float(weight) for name, weight in self.score_mix.items()},
            **(
                {}
                if self.session_mix is None
                else {"session_mix": {name: float(weight) for name, weight in self.session_mix.items()}}
            ),
        }
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(payload, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> Checkpoint:
        try:
            payload = torch.load(path, map_location=device, weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as err:
            # torch's own text suggests weights_only=False; never pass that advice on
            raise DataError(
                "not a model checkpoint written by `train` (model files are read as plain tensors only, "
                "never unpickled)",
                path=str(path),
            ) from err
        if isinstance(payload, dict) and payload.get("format") in OLDER_FORMATS:
            raise DataError(
                f"this model was written by an older version ({payload['format']}); retrain it with `train`",
                path=str(path),
            )
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise DataError(f"not a model checkpoint of format {FORMAT}", path=str(path))
        config = ModelConfig.from_dict(payload["model_config"])
        vocab = Vocabulary(tuple(payload["items"]), tuple(payload["categories"]))
        model = InterestModel(config, len(vocab.items), len(vocab.categories), int(payload["sentence_dim"]))
        model.load_state_dict(payload["state_dict"])
        model.to(device).eval()
        return cls(
            model=model,
            vocab=vocab,
            texts=dict(zip(payload["text_items"], payload["text_values"], strict=True)),
            item_embeddings=payload["item_embeddings"].to(device),
            popularity=payload["popularity"].cpu().numpy(),
            time_origin=float(payload["time_origin"]),
            fingerprint=str(payload["fingerprint"]),
            graph_config=GraphConfig(**payload["graph_config"]),
            train_config=dict(payload["train_config"]),
            trend_half_life_s=float(payload["trend_half_life_s"]),
            sentence_dim=int(payload["sentence_dim"]),
            history=list(payload.get("history", [])),
            graph=EncoderGraph(
                payload["graph_edge_index"].to(device),
                payload["graph_edge_weight"].to(device),
                payload["graph_alpha"].to(device),
                tuple(payload["graph_categories"]),
            ),
            item_first_seen=payload["item_first_seen"].cpu().numpy(),
            trained_until=float(payload["trained_until"]),
            item_names=tuple(payload["item_names"]),
            item_categories=tuple(payload["item_categories"]),
            baselines={name: dict(state) for name, state in payload["baselines"].items()},
            trend_bounds=_array_or_none(payload["trend_bounds"]),
            trend_levels=_array_or_none(payload["trend_levels"]),
            score_mix={str(k): float(v) for k, v in payload.get("score_mix", {}).items()},
            session_mix=(
                None
                if payload.get("session_mix") is None
                else {str(k): float(v) for k, v in payload["session_mix"].items()}
            ),
        )

    def check_same_data(self, timeline: Timeline, path: str | Path | None = None) -> None:
        """DataError unless ``timeline`` is exactly the data this model was trained on."""
        found = timeline.fingerprint()
        if found != self.fingerprint:
            raise DataError(
                f"the model was trained on other data (fingerprint {self.fingerprint}, these events "
                f"{found}: {len(timeline)} events, {timeline.n_items} items); retrain it on these events",
                path=None if path is None else str(path),
            )

    def check_compatible(self, timeline: Timeline, path: str | Path | None = None) -> None:
        """DataError when most events are on items the model never saw: surely other data.

        New items are fine (they are embedded from their text), but a file whose events are mostly on
        unknown items belongs to another catalogue, even when a few numeric ids happen to collide.
        """
        # each distinct id looked up once: `isin` against the whole catalogue costs ~0.2 s at 50k items
        codes, distinct = pd.factorize(timeline.events["item_id"].astype(str))
        vocab = set(self.vocab.items)
        known = np.fromiter((item in vocab for item in distinct), dtype=bool, count=len(distinct))
        share = float(known[codes].mean()) if len(codes) else 1.0
        if share < MIN_KNOWN_EVENT_SHARE:
            raise DataError(
                f"only {share:.1%} of these events are on items the model knows ({len(vocab)} items, "
                f"fingerprint {self.fingerprint}): the model was trained on other data",
                path=None if path is None else str(path),
            )
