"""Graph encoder: message passing over the interest graph turns node features into item embeddings."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.nn import GATv2Conv, TransformerConv

from engine.model.config import ModelConfig
from engine.model.interest_conv import InterestConv


def strongest_edges(edge_index: Tensor, edge_weight: Tensor, k: int, num_nodes: int) -> tuple[Tensor, Tensor]:
    """Keep each target node's ``k`` heaviest incoming edges (ties: lower source index first).

    Co-occurrence graphs have hubs with thousands of neighbours; a fixed fan-in bounds the encoder's
    cost at O(k * N) and keeps the strongest evidence.

    Shapes: edge_index [2, E], edge_weight [E] -> [2, E'], [E'] with E' <= k * num_nodes.
    """
    if edge_index.numel() == 0 or k <= 0:
        return edge_index[:, :0], edge_weight[:0]
    src, dst = edge_index
    # order by target, then weight descending, then source: a stable, deterministic ranking
    order = torch.from_numpy(np.lexsort((src.numpy(), -edge_weight.double().numpy(), dst.numpy())))
    dst_sorted = dst[order]
    counts = torch.bincount(dst_sorted, minlength=num_nodes)  # [N]
    starts = torch.cumsum(counts, 0) - counts  # first position of each target's run
    rank = torch.arange(order.numel()) - starts[dst_sorted]  # position inside the run
    keep = order[rank < k]
    keep, _ = keep.sort()
    return edge_index[:, keep], edge_weight[keep]


class GraphEncoder(nn.Module):
    r"""Residual stack of attention convolutions over the interest graph.

    .. math::
        H^{(0)} = X, \qquad
        H^{(l+1)} = \mathrm{LayerNorm}\big(H^{(l)} + \mathrm{Dropout}(\mathrm{ELU}(
            \mathrm{Conv}_l(H^{(l)}, \mathcal{E}, w)))\big), \qquad Z = H^{(L)}

    ``Conv`` is GATv2Conv (Brody et al., 2022), TransformerConv (Shi et al., 2021) or our InterestConv,
    with ``heads`` heads concatenated to ``dim``; edge weights enter as :math:`\log(1 + w)` edge features
    (GATv2/Transformer) or through InterestConv's :math:`\beta \log w` term. With ``use_graph=False``
    (the "memory only" ablation) no message is passed: :math:`Z = \mathrm{LayerNorm}(X)`.

    Args:
        config: ``dim``, ``conv``, ``layers``, ``heads``, ``dropout``, ``use_graph``.

    Shapes:
        input: x [N, dim], edge_index [2, E], edge_weight [E]
        output: [N, dim]
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        dim, heads = config.dim, config.heads
        self.conv_type = config.conv
        self.convs = nn.ModuleList()
        depth = config.layers if config.use_graph else 0
        for _ in range(depth):
            if config.conv == "gatv2":
                conv: nn.Module = GATv2Conv(dim, dim // heads, heads=heads, edge_dim=1, add_self_loops=False)
            elif config.conv == "transformer":
                conv = TransformerConv(dim, dim // heads, heads=heads, edge_dim=1, root_weight=False)
            else:
                conv = InterestConv(dim, heads=heads, act=None)
            self.convs.append(conv)
        width = (dim // heads) * heads if config.conv != "interest" else dim
        self.projections = nn.ModuleList(nn.Linear(width, dim) for _ in self.convs)
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(len(self.convs) + 1))
        self.dropout = nn.Dropout(config.dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (*self.convs, *self.projections, *self.norms):
            module.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:
        h = self.norms[0](x)  # [N, dim]
        if not len(self.convs):
            return h
        edge_attr = torch.log1p(edge_weight).unsqueeze(-1)  # [E, 1]
        for conv, proj, norm in zip(self.convs, self.projections, self.norms[1:], strict=True):
            if self.conv_type == "interest":
                msg = conv(h, edge_index, edge_weight)  # [N, dim]
            else:
                msg = conv(h, edge_index, edge_attr)  # [N, heads * dim/heads]
            h = norm(h + self.dropout(proj(nn.functional.elu(msg))))  # [N, dim]
        return h

    @torch.no_grad()
    def attention(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:
        """Each edge's attention :math:`\alpha_{vu}` (source u -> target v), averaged over heads and
        layers: what the encoder read along that edge. Edges are those given (no self-loops are added).

        Shapes: x [N, dim], edge_index [2, E], edge_weight [E] -> alpha [E] (sums to 1 over each
        target's incoming edges).
        """
        alpha = x.new_zeros(edge_index.shape[1])
        if not len(self.convs) or edge_index.shape[1] == 0:
            return alpha
        h = self.norms[0](x)
        edge_attr = torch.log1p(edge_weight).unsqueeze(-1)  # [E, 1]
        for conv, proj, norm in zip(self.convs, self.projections, self.norms[1:], strict=True):
            if self.conv_type == "interest":
                msg, (_, layer_alpha) = conv(h, edge_index, edge_weight, return_attention=True)
            else:
                msg, (_, layer_alpha) = conv(h, edge_index, edge_attr, return_attention_weights=True)
            alpha += layer_alpha.mean(dim=-1)  # [E]: mean over heads
            h = norm(h + self.dropout(proj(nn.functional.elu(msg))))
        return alpha / len(self.convs)
