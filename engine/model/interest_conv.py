"""InterestConv: the attention update of one interest from its neighbours, exactly as we present it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.nn import Linear, Parameter
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.inits import glorot
from torch_geometric.nn.resolver import activation_resolver
from torch_geometric.utils import softmax


class InterestConv(MessagePassing):
    r"""The interest update of our formulation, a GAT-style attention layer
    (`Veličković et al., "Graph Attention Networks" <https://arxiv.org/abs/1710.10903>`_; the attention
    score follows its form, the aggregation keeps neighbour states unprojected):

    .. math::
        \mathbf{h}_v^{(t+1)} = \sigma\Big( \mathbf{W} \mathbf{h}_v^{(t)}
            + \sum_{u \in \mathcal{N}(v)} \alpha_{vu} \, \mathbf{h}_u^{(t)} \Big)

    with attention coefficients, a softmax over the neighbours of :math:`v`,

    .. math::
        \alpha_{vu} = \frac{\exp(e_{vu})}{\sum_{k \in \mathcal{N}(v)} \exp(e_{vk})}, \qquad
        e_{vu} = \mathrm{LeakyReLU}\big( \mathbf{a}^{\top} [\mathbf{W}_a \mathbf{h}_v \,\Vert\,
            \mathbf{W}_a \mathbf{h}_u] \big) + \beta \log w_{vu}

    where the edge-weight term :math:`\beta \log w_{vu}` (learnable :math:`\beta`, initialised to 1, so
    that :math:`\alpha_{vu} \propto w_{vu} \exp(\cdot)`) is used only when ``edge_weight`` is given and
    ``edge_weight_term=True``. A node without neighbours gets :math:`\sigma(\mathbf{W}\mathbf{h}_v)`.
    With ``heads > 1`` each head has its own :math:`\mathbf{a}` (and :math:`\mathbf{W}_a` rows) and the
    neighbour sums of the heads are averaged, which keeps the form above with :math:`\alpha` the mean of
    the heads' coefficients.

    The neighbour states enter unprojected, so ``out_channels`` must equal ``in_channels`` unless
    ``neighbour_linear=True`` (an extension, off by default): then messages are
    :math:`\alpha_{vu} \mathbf{W}_n \mathbf{h}_u`, as in GAT.

    To set the logits by hand (tests, explanations), assign ``att_dst``/``att_src`` (the two halves of
    :math:`\mathbf{a}`) and ``lin_att.weight`` (:math:`\mathbf{W}_a`); zero attention vectors give equal
    :math:`\alpha`.

    Args:
        in_channels (int): size of each input state :math:`\mathbf{h}_v`.
        out_channels (int, optional): size of each output state. (default: ``in_channels``)
        heads (int, optional): number of attention heads, averaged. (default: ``1``)
        attention_channels (int, optional): size of :math:`\mathbf{W}_a \mathbf{h}` per head.
            (default: ``in_channels``)
        negative_slope (float, optional): LeakyReLU slope of the score. (default: ``0.2``)
        dropout (float, optional): dropout on :math:`\alpha` during training. (default: ``0.0``)
        act (str or Callable, optional): :math:`\sigma`, by name (``"relu"``, ``"tanh"``, ...) or module;
            ``None`` for identity. (default: ``"relu"``)
        edge_weight_term (bool, optional): add :math:`\beta \log w_{vu}` to the score when edge weights
            are given. (default: ``True``)
        neighbour_linear (bool, optional): project neighbour states by :math:`\mathbf{W}_n`.
            (default: ``False``)
        bias (bool, optional): add a learnable bias inside :math:`\sigma` (not in the formula).
            (default: ``False``)
        **kwargs (optional): additional arguments of :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** node states :math:`(|\mathcal{V}|, F_{in})`, edge indices :math:`(2, |\mathcal{E}|)`
          (row 0 the neighbour :math:`u`, row 1 the updated node :math:`v`), edge weights
          :math:`(|\mathcal{E}|)` *(optional, positive)*
        - **output:** node states :math:`(|\mathcal{V}|, F_{out})`, or
          :math:`((|\mathcal{V}|, F_{out}), ((2, |\mathcal{E}|), (|\mathcal{E}|, H)))` with
          ``return_attention=True``
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        heads: int = 1,
        attention_channels: int | None = None,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        act: str | Callable[..., Any] | None = "relu",
        edge_weight_term: bool = True,
        neighbour_linear: bool = False,
        bias: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("aggr", "add")
        super().__init__(node_dim=0, **kwargs)
        out_channels = in_channels if out_channels is None else out_channels
        if not neighbour_linear and out_channels != in_channels:
            raise ValueError(
                f"out_channels ({out_channels}) must equal in_channels ({in_channels}): the formula adds "
                "unprojected neighbour states; pass neighbour_linear=True to project them"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.heads = heads
        self.attention_channels = attention_channels or in_channels
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.edge_weight_term = edge_weight_term
        self.neighbour_linear = neighbour_linear

        self.lin = Linear(in_channels, out_channels, bias=bias)  # W
        self.lin_att = Linear(in_channels, heads * self.attention_channels, bias=False)  # W_a
        self.att_dst = Parameter(torch.empty(1, heads, self.attention_channels))  # a, half for h_v
        self.att_src = Parameter(torch.empty(1, heads, self.attention_channels))  # a, half for h_u
        self.beta = Parameter(torch.empty(1))
        self.lin_neighbour = Linear(in_channels, out_channels, bias=False) if neighbour_linear else None
        self.act = activation_resolver(act) if act is not None else torch.nn.Identity()
        self._alpha: Tensor | None = None

        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin.reset_parameters()
        self.lin_att.reset_parameters()
        glorot(self.att_dst)
        glorot(self.att_src)
        torch.nn.init.ones_(self.beta)
        if self.lin_neighbour is not None:
            self.lin_neighbour.reset_parameters()

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None = None,
        return_attention: bool = False,
    ) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor]]:
        r"""Update every node from its in-neighbours (``edge_index[0]`` -> ``edge_index[1]``).

        Args:
            x: node states ``[N, F_in]``.
            edge_index: ``[2, E]``, messages flow from row 0 (:math:`u`) to row 1 (:math:`v`).
            edge_weight: ``[E]`` positive weights for the :math:`\beta \log w_{vu}` term, or None.
            return_attention: also return ``(edge_index, alpha)`` with ``alpha`` ``[E, heads]``.
        """
        H, A = self.heads, self.attention_channels
        att_h = self.lin_att(x).view(-1, H, A)  # W_a h: [N, H, A]
        a_dst = (att_h * self.att_dst).sum(dim=-1)  # [N, H]
        a_src = (att_h * self.att_src).sum(dim=-1)  # [N, H]
        h_neighbour = x if self.lin_neighbour is None else self.lin_neighbour(x)  # [N, F]

        if edge_weight is not None and edge_weight.numel() != edge_index.size(1):
            raise ValueError(f"edge_weight has {edge_weight.numel()} values for {edge_index.size(1)} edges")
        summed = self.propagate(
            edge_index, x=h_neighbour, a_src=a_src, a_dst=a_dst, edge_weight=edge_weight, size=None
        )  # sum_u alpha_vu h_u: [N, H, F]
        out = self.act(self.lin(x) + summed.mean(dim=1))  # [N, F_out]

        alpha = self._alpha
        self._alpha = None
        if return_attention:
            assert alpha is not None
            return out, (edge_index, alpha)
        return out

    def message(
        self,
        x_j: Tensor,
        a_src_j: Tensor,
        a_dst_i: Tensor,
        edge_weight: Tensor | None,
        index: Tensor,
        ptr: Tensor | None,
        size_i: int | None,
    ) -> Tensor:
        score = torch.nn.functional.leaky_relu(a_dst_i + a_src_j, self.negative_slope)  # e_vu: [E, H]
        if edge_weight is not None and self.edge_weight_term:
            score = score + self.beta * torch.log(edge_weight.clamp_min(1e-12)).view(-1, 1)
        alpha = softmax(score, index, ptr, size_i)  # softmax over N(v): [E, H]
        self._alpha = alpha
        alpha = torch.nn.functional.dropout(alpha, p=self.dropout, training=self.training)
        return alpha.unsqueeze(-1) * x_j.unsqueeze(1)  # [E, H, F]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads})"
