"""The interest model: item embeddings from the graph encoder, user states from the temporal memory."""

from __future__ import annotations

from torch import Tensor, nn

from engine.model.config import ModelConfig
from engine.model.encoder import GraphEncoder
from engine.model.features import NodeFeatures
from engine.model.inputs import GraphInputs
from engine.model.memory import MemoryState, UserMemory


class InterestModel(nn.Module):
    r"""Scores an item for a user by the cosine of the user's state and the item's embedding.

    .. math::
        Z = \mathrm{Encoder}(X, \mathcal{E}, w)_{\text{items}}, \qquad
        u = \mathrm{Memory}(z_{i_1}, \dots, z_{i_t}), \qquad
        \mathrm{score}(u, i) = \frac{u^\top z_i}{\lVert u \rVert \lVert z_i \rVert}

    Item embeddings depend only on the graph and node features, so they are computed once per
    checkpoint (or per new catalogue) and shared by every user; a new event changes only its user's
    memory.

    Args:
        config: the model configuration.
        n_items, n_categories: vocabulary sizes (id embedding rows) at training time.
        sentence_dim: width of the optional sentence embeddings, 0 when unused.

    Shapes:
        item_embeddings: GraphInputs with N nodes -> [n_items, d]
        forward: z [n, d], items [B, L] (rows of z), types [B, L], times [B, L] s, lengths [B]
            -> u [B, L, d] (u[:, t] = state after event t), final MemoryState
    """

    def __init__(self, config: ModelConfig, n_items: int, n_categories: int, sentence_dim: int = 0) -> None:
        super().__init__()
        self.config = config
        self.features = NodeFeatures(n_items, n_categories, config, sentence_dim)
        self.encoder = GraphEncoder(config)
        self.memory = UserMemory(config)

    def item_embeddings(self, graph: GraphInputs) -> Tensor:
        x = self.features(graph.id_codes, graph.text, graph.node_type, graph.sentence)  # [N, d]
        return self.encoder(x, graph.edge_index, graph.edge_weight)[: graph.n_items]  # [n_items, d]

    def forward(
        self, z: Tensor, items: Tensor, types: Tensor, times: Tensor, lengths: Tensor
    ) -> tuple[Tensor, MemoryState]:
        return self.memory(z[items], types, times, lengths)

    @staticmethod
    def scores(u: Tensor, z: Tensor) -> Tensor:
        """Cosine similarity of user states [..., d] with item embeddings [n, d] -> [..., n]."""
        return nn.functional.normalize(u, dim=-1) @ nn.functional.normalize(z, dim=-1).T
