from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.utils import scatter

from engine.model.interest_conv import InterestConv

# The worked example: interests book, movie, sport; the user browses sport, whose update sums over
# N(sport) = {book, movie}.
BOOK, MOVIE, SPORT = 0, 1, 2
H = torch.tensor([[0.2, 0.3, 0.5], [0.1, 0.4, 0.5], [0.6, 0.2, 0.2]])
EDGES = torch.tensor([[BOOK, MOVIE], [SPORT, SPORT]])  # row 0: neighbour u, row 1: updated v


def example_layer(att_src: list[float] | None = None) -> InterestConv:
    """W = I, sigma = ReLU, W_a = I; a = [0 (for h_v) || att_src (for h_u)], zero unless given."""
    conv = InterestConv(3, act="relu")
    with torch.no_grad():
        conv.lin.weight.copy_(torch.eye(3))
        conv.lin_att.weight.copy_(torch.eye(3))
        conv.att_dst.zero_()
        conv.att_src.copy_(torch.tensor(att_src or [0.0, 0.0, 0.0]).view(1, 1, 3))
    return conv


def test_worked_example_with_equal_attention() -> None:
    out, (edge_index, alpha) = example_layer()(H, EDGES, return_attention=True)
    assert torch.equal(edge_index, EDGES)
    assert alpha.shape == (2, 1)
    assert alpha.flatten().tolist() == pytest.approx([0.5, 0.5])
    assert out[SPORT].tolist() == pytest.approx([0.75, 0.55, 0.70])
    # book and movie have no neighbours: sigma(W h) = h
    assert torch.allclose(out[[BOOK, MOVIE]], H[[BOOK, MOVIE]])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_unequal_attention_set_by_hand(sign: float) -> None:
    # a_src = [sign, 0, 0] makes the logits LeakyReLU(sign * h_u[0]): 0.2 (book) and 0.1 (movie) for
    # sign = 1; -0.04 and -0.02 (slope 0.2) for sign = -1.
    logits = [0.2, 0.1] if sign > 0 else [-0.2 * 0.2, -0.2 * 0.1]
    z = math.exp(logits[0]) + math.exp(logits[1])
    a_book, a_movie = math.exp(logits[0]) / z, math.exp(logits[1]) / z
    expected = [max(0.0, float(H[SPORT, c] + a_book * H[BOOK, c] + a_movie * H[MOVIE, c])) for c in range(3)]

    out, (_, alpha) = example_layer([sign, 0.0, 0.0])(H, EDGES, return_attention=True)
    assert alpha.flatten().tolist() == pytest.approx([a_book, a_movie])
    assert a_book != pytest.approx(0.5)
    assert out[SPORT].tolist() == pytest.approx(expected)


def test_edge_weights_shift_attention() -> None:
    # equal scores, edge weights 3 and 1, beta = 1: alpha proportional to the weights, 3/4 and 1/4
    conv = example_layer()
    out, (_, alpha) = conv(H, EDGES, edge_weight=torch.tensor([3.0, 1.0]), return_attention=True)
    assert alpha.flatten().tolist() == pytest.approx([0.75, 0.25])
    assert out[SPORT].tolist() == pytest.approx([0.775, 0.525, 0.70])
    off = InterestConv(3, edge_weight_term=False)
    with torch.no_grad():
        off.att_src.zero_()
        off.att_dst.zero_()
    _, (_, alpha_off) = off(H, EDGES, edge_weight=torch.tensor([3.0, 1.0]), return_attention=True)
    assert alpha_off.flatten().tolist() == pytest.approx([0.5, 0.5])


def test_attention_is_a_softmax_per_node_and_head() -> None:
    torch.manual_seed(0)
    x = torch.randn(10, 8)
    edge_index = torch.randint(0, 10, (2, 40))
    conv = InterestConv(8, heads=3)
    out, (ei, alpha) = conv(x, edge_index, return_attention=True)
    assert out.shape == (10, 8)
    assert alpha.shape == (40, 3)
    sums = scatter(alpha, ei[1], dim=0, dim_size=10, reduce="sum")  # [N, H]
    has_neighbours = torch.bincount(ei[1], minlength=10) > 0
    assert torch.allclose(sums[has_neighbours], torch.ones(int(has_neighbours.sum()), 3))
    assert conv(x, edge_index).shape == (10, 8)  # without attention: a plain tensor


def test_channels_must_match_unless_neighbours_are_projected() -> None:
    with pytest.raises(ValueError, match="neighbour_linear"):
        InterestConv(8, 4)
    conv = InterestConv(8, 4, neighbour_linear=True, bias=True, act=None)
    assert conv(torch.randn(5, 8), torch.tensor([[0, 1], [2, 2]])).shape == (5, 4)


def test_reset_parameters_restores_beta() -> None:
    conv = InterestConv(4)
    with torch.no_grad():
        conv.beta.fill_(3.0)
    conv.reset_parameters()
    assert conv.beta.item() == 1.0
    assert repr(conv) == "InterestConv(4, 4, heads=1)"


def test_gradients_match_finite_differences() -> None:
    torch.manual_seed(1)
    conv = InterestConv(4, act="tanh").double()
    x = torch.randn(6, 4, dtype=torch.double, requires_grad=True)
    w = torch.rand(12, dtype=torch.double) + 0.5
    edge_index = torch.randint(0, 6, (2, 12))
    assert torch.autograd.gradcheck(lambda x_: conv(x_, edge_index, edge_weight=w), (x,))


def test_layer_learns_to_attend_to_the_informative_neighbour() -> None:
    # Each target node has two neighbours; the target is the neighbour whose first feature is positive.
    # With W fixed at 0 and identity act, only attention can solve it.
    torch.manual_seed(0)
    n_targets = 64
    neighbours = torch.randn(2 * n_targets, 4)
    neighbours[0::2, 0] = neighbours[0::2, 0].abs() + 0.5  # informative one
    neighbours[1::2, 0] = -neighbours[1::2, 0].abs() - 0.5
    x = torch.cat([torch.zeros(n_targets, 4), neighbours])
    targets = torch.arange(n_targets)
    src = n_targets + torch.arange(2 * n_targets)
    edge_index = torch.stack([src, targets.repeat_interleave(2)])
    wanted = neighbours[0::2]

    conv = InterestConv(4, act=None)
    with torch.no_grad():
        conv.lin.weight.zero_()
    conv.lin.weight.requires_grad_(False)
    opt = torch.optim.Adam([p for p in conv.parameters() if p.requires_grad], lr=0.05)

    def loss_fn() -> torch.Tensor:
        out = conv(x, edge_index)
        return (out[:n_targets] - wanted).pow(2).mean()

    first = loss_fn().item()
    for _ in range(150):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    assert conv.att_src.grad is not None
    assert loss_fn().item() < 0.1 * first


def test_graph_without_edges_gives_sigma_of_w_h() -> None:
    conv = example_layer()
    out, (_, alpha) = conv(H, torch.empty(2, 0, dtype=torch.long), return_attention=True)
    assert alpha.shape == (0, 1)
    assert torch.allclose(out, H)


def test_edge_weight_length_is_checked() -> None:
    with pytest.raises(ValueError, match="edge_weight"):
        example_layer()(H, EDGES, edge_weight=torch.ones(3))
