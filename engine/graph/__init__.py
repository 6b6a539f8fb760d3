"""The interest graph: items and categories linked by decaying co-occurrence, with PyG exports.

``InterestGraph(GraphConfig()).add_events(timeline.events)`` builds it (incrementally, slice by slice);
``to_pyg`` / ``to_hetero`` export it for the encoder, ``user_subgraph`` gives a plain view for display.
Importing this package does not import torch; the exports do, when called.
"""

from engine.graph.config import GraphConfig
from engine.graph.delta import EdgeArrays, GraphDelta
from engine.graph.interest_graph import InterestGraph

__all__ = ["EdgeArrays", "GraphConfig", "GraphDelta", "InterestGraph"]
