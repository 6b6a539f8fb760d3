"""The interest graph: items and categories linked by decaying co-occurrence, with PyG exports."""

from engine.graph.config import GraphConfig
from engine.graph.delta import GraphDelta
from engine.graph.interest_graph import InterestGraph

__all__ = ["GraphConfig", "GraphDelta", "InterestGraph"]
