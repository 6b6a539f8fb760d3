"""What a GNN checkpoint holds besides the weights: the encoder's graph with its attention, the
catalogue's facts (first-seen times, names, categories) and the baselines fitted on the same events.

Replay reads all of it from the checkpoint alone, so a trace never needs the training data again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from engine.data.timeline import Timeline
from engine.model.checkpoint import Checkpoint, EncoderGraph
from engine.model.trend import ItemTrend
from engine.recommenders.popularity import recent_popularity
from engine.recommenders.registry import create_model
from engine.recommenders.snapshot import SNAPSHOT_BASELINES, snapshot
from engine.training.trainer import TrainedModel


@torch.no_grad()
def encoder_graph(trained: TrainedModel) -> EncoderGraph:
    """The full training graph the item embeddings were computed on, with the encoder's attention."""
    graph, model = trained.graph, trained.model
    x = model.features(graph.id_codes, graph.text, graph.node_type, graph.sentence)  # [N, d]
    alpha = model.encoder.attention(x, graph.edge_index, graph.edge_weight)  # [E]
    return EncoderGraph(graph.edge_index, graph.edge_weight, alpha, graph.category_ids)


def catalogue_facts(
    train: Timeline, items: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Per vocabulary item: first training event (unix seconds), latest name and latest category."""
    ev = train.events
    first = pd.Series(train.seconds(), index=ev["item_id"].to_numpy()).groupby(level=0).min()
    names = train.item_names().astype(str)
    categories = train.item_categories()
    index = pd.Index(items)
    return (
        first.reindex(index).to_numpy(dtype=np.float64),
        tuple(names.reindex(index).fillna("").astype(str)),
        tuple(categories.reindex(index).fillna("").astype(str)),
    )


def build_checkpoint(
    train: Timeline,
    trained: TrainedModel,
    item_index: dict[str, int],
    score_mix: dict[str, float] | None = None,
    session_mix: dict[str, float] | None = None,
) -> Checkpoint:
    model = trained.model
    with torch.no_grad():
        z = model.item_embeddings(trained.graph)
    first_seen, names, categories = catalogue_facts(train, trained.vocab.items)
    baselines = {name: snapshot(create_model(name).fit(train)) for name in SNAPSHOT_BASELINES}
    trend = None
    if model.config.trend:  # snapshots over the training span, read by replay at each step's time
        codes = train.events["item_id"].map(item_index).to_numpy(dtype=np.int64)
        trend = ItemTrend.over_span(
            codes, train.seconds(), len(item_index), model.config.trend_half_life_share
        )
    return Checkpoint(
        model=model,
        vocab=trained.vocab,
        texts=trained.texts,
        item_embeddings=z,
        popularity=recent_popularity(train, item_index),
        time_origin=trained.time_origin,
        fingerprint=trained.fingerprint,
        graph_config=trained.graph_config,
        train_config=trained.train_config.to_dict(),
        trend_half_life_s=trained.trend_half_life_s,
        sentence_dim=model.features.sentence.in_features if model.features.sentence is not None else 0,
        history=trained.history,
        graph=encoder_graph(trained),
        item_first_seen=first_seen,
        trained_until=float(train.seconds().max()),
        item_names=names,
        item_categories=categories,
        baselines=baselines,
        trend_bounds=None if trend is None else trend.boundaries,
        trend_levels=None if trend is None else trend.levels,
        score_mix=dict(score_mix or {}),
        session_mix=None if session_mix is None else dict(session_mix),
    )
