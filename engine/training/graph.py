"""The interest graph the encoder trains on, built with engine.graph from training events only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from engine.graph import GraphConfig, InterestGraph
from engine.model.config import ModelConfig
from engine.model.inputs import GraphInputs, Vocabulary, build_graph_inputs

DAY = 86_400.0


def encoder_graph_config(events: pd.DataFrame, base: GraphConfig | None = None) -> GraphConfig:
    """The graph settings for learning item embeddings from ``events``.

    The encoder wants the co-occurrence structure of the whole training period, not the last few
    weeks a live dashboard shows: the half-life is stretched to at least the data's time span (the
    oldest edges keep at least half their weight) and nothing is pruned while building.
    """
    config = base or GraphConfig()
    if len(events):
        span = float((events["timestamp"].max() - events["timestamp"].min()).total_seconds())
        config = replace(config, half_life_s=max(config.half_life_s, span, DAY), prune_every_s=None)
    return config


def graph_inputs_from_events(
    events: pd.DataFrame,
    vocab: Vocabulary,
    item_ids: Sequence[str],
    texts: dict[str, str],
    model_config: ModelConfig,
    graph_config: GraphConfig,
    use_sentences: bool = False,
) -> GraphInputs:
    """Build the interest graph of ``events`` and turn it into encoder inputs over ``item_ids``."""
    if not model_config.use_graph or not len(events):
        categories = list(vocab.categories)
        return build_graph_inputs(
            vocab, item_ids, texts, model_config, category_ids=categories, use_sentences=use_sentences
        )
    graph = InterestGraph(graph_config)
    graph.add_events(events)
    data = graph.to_pyg(item_ids=np.asarray(item_ids, dtype=object))
    return build_graph_inputs(
        vocab,
        item_ids,
        texts,
        model_config,
        edge_index=data.edge_index,
        edge_weight=data.edge_weight,
        category_ids=list(data.category_ids),
        use_sentences=use_sentences,
    )
