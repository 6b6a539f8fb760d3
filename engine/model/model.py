"""The interest model: item embeddings from the graph encoder, user states from the temporal memory."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from engine.model.config import ModelConfig
from engine.model.encoder import GraphEncoder
from engine.model.features import NodeFeatures
from engine.model.inputs import GraphInputs
from engine.model.memory import MemoryState, UserMemory
from engine.model.subgraph import encoder_subgraph


class InterestModel(nn.Module):
    r"""Scores an item for a user by the cosine of the user's state and the item's embedding.

    .. math::
        Z = \mathrm{Encoder}(X, \mathcal{E}, w)_{\text{items}}, \qquad
        u = \mathrm{Memory}(z_{i_1}, \dots, z_{i_t}), \qquad
        \mathrm{score}(u, i, s) = \cos\big(u,\; z_i + \lambda_i(s)\, w_{\text{trend}}\big)

    :math:`\lambda_i(s)` is the item's trend at scoring time (:mod:`engine.model.trend`: decayed
    recent activity, from past events only) and :math:`w_{\text{trend}}` a learned direction, so
    an item's embedding drifts with its popularity while the score stays a cosine.
    With ``residual_popularity`` training (and its validation) ranks by the cosine plus
    :math:`\beta\,\lambda_i(s)`, a learned weight on the item's trend level (:meth:`fitted_score`), so
    the state learns what recent popularity does not explain; serving scores the cosine alone.

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
        # w: the direction an item's trend level moves its embedding (zero start: no trend until learned)
        self.trend_direction = nn.Parameter(torch.zeros(config.dim)) if config.trend else None
        # beta: the popularity logit's weight in cosine units (training and validation only)
        self.popularity_weight = nn.Parameter(torch.tensor(0.2)) if config.residual_popularity else None

    def item_embeddings(self, graph: GraphInputs) -> Tensor:
        x = self.features(graph.id_codes, graph.text, graph.node_type, graph.sentence)  # [N, d]
        return self.encoder(x, graph.edge_index, graph.edge_weight)[: graph.n_items]  # [n_items, d]

    def item_embeddings_of(self, graph: GraphInputs, items: Tensor) -> Tensor:
        """Rows ``items`` [M] of ``item_embeddings(graph)``, [M, d], encoded on the subgraph they read
        (:func:`~engine.model.subgraph.encoder_subgraph`): a training step pays for the edges into the
        items it needs, not for the whole catalogue's."""
        sub, rows = encoder_subgraph(graph, items, hops=len(self.encoder.convs))
        x = self.features(sub.id_codes, sub.text, sub.node_type, sub.sentence)  # [S, d]
        return self.encoder(x, sub.edge_index, sub.edge_weight)[rows]  # [M, d]

    def forward(
        self, z: Tensor, items: Tensor, types: Tensor, times: Tensor, lengths: Tensor
    ) -> tuple[Tensor, MemoryState]:
        return self.memory(z[items], types, times, lengths)

    def at_trend(self, z: Tensor, levels: Tensor) -> Tensor:
        """Item embeddings at one moment, :math:`z_i + \\lambda_i w`: z [n, d], levels [n] -> [n, d]."""
        if self.trend_direction is None:
            return z
        return z + levels.unsqueeze(-1) * self.trend_direction

    def cosine(self, u: Tensor, z: Tensor, levels: Tensor | None = None) -> Tensor:
        """:math:`\\cos(u_p, z_c + \\lambda_{pc} w)` for states u [P, d], items z [C, d], levels [P, C].

        Each row may read the trend at its own time, without materialising [P, C, d]:
        :math:`u \\cdot (z + \\lambda w) = u \\cdot z + \\lambda\\, u \\cdot w` and
        :math:`\\lVert z + \\lambda w \\rVert^2 = \\lVert z \\rVert^2 + 2\\lambda\\, z \\cdot w
        + \\lambda^2 \\lVert w \\rVert^2`.
        """
        w = self.trend_direction
        if levels is None or w is None:
            return self.scores(u, z)
        u = nn.functional.normalize(u, dim=-1)
        numerator = u @ z.T + levels * (u @ w).unsqueeze(-1)  # [P, C]
        norm2 = (z * z).sum(-1) + 2 * levels * (z @ w) + levels.square() * (w @ w)  # [P, C]
        return numerator / norm2.clamp_min(1e-12).sqrt()

    def fitted_score(self, u: Tensor, z: Tensor, levels: Tensor | None = None) -> Tensor:
        """What training and validation rank by: :meth:`cosine`, plus :math:`\\beta \\lambda_{pc}` with
        ``residual_popularity`` (the state learns what recent popularity does not explain; serving
        scores the plain cosine and adds popularity through the fitted score mix).

        Shapes: u [P, d], z [C, d], levels [P, C] or None -> [P, C]
        """
        cos = self.cosine(u, z, levels if self.trend_direction is not None else None)  # [P, C]
        if levels is not None and self.popularity_weight is not None:
            return cos + self.popularity_weight * levels
        return cos

    @staticmethod
    def scores(u: Tensor, z: Tensor) -> Tensor:
        """Cosine similarity of user states [..., d] with item embeddings [n, d] -> [..., n]."""
        return nn.functional.normalize(u, dim=-1) @ nn.functional.normalize(z, dim=-1).T
