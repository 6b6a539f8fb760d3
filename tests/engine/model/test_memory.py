"""User memory: incremental steps equal the batched pass, no look-ahead, purchases weigh more."""

from __future__ import annotations

import pytest
import torch

from engine.model.config import ModelConfig
from engine.model.memory import EVENT_VOCAB, UserMemory, event_type_codes

VIEW, PURCHASE = EVENT_VOCAB.index("view"), EVENT_VOCAB.index("purchase")


def _events(
    B: int = 3, L: int = 7, d: int = 8
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    z = torch.randn(B, L, d, generator=g)
    types = torch.randint(0, len(EVENT_VOCAB), (B, L), generator=g)
    times = torch.cumsum(torch.rand(B, L, generator=g) * 1000, dim=1)
    lengths = torch.tensor([L, 4, 1])[:B]
    return z, types, times, lengths


@pytest.mark.parametrize(
    ("kind", "use_memory", "context"),
    [("gru", True, 0), ("lstm", True, 0), ("gru", False, 0), ("gru", True, 2)],
)
def test_step_by_step_equals_batched_forward(kind: str, use_memory: bool, context: int) -> None:
    torch.manual_seed(0)
    config = ModelConfig(
        dim=8, time_dim=4, recent=3, memory=kind, use_memory=use_memory, context_layers=context
    )
    memory = UserMemory(config).eval()
    z, types, times, lengths = _events()
    u, final = memory(z, types, times, lengths)
    state = memory.empty_state(3)
    for t in range(z.shape[1]):
        active = torch.nonzero(t < lengths).flatten()
        stepped = memory.step(state.index(active), z[active, t], types[active, t], times[active, t])
        for name in state.__dataclass_fields__:
            getattr(state, name)[active] = getattr(stepped, name)
        assert torch.allclose(memory.readout(state)[active], u[active, t], atol=1e-5)
    assert torch.allclose(memory.readout(state), memory.readout(final), atol=1e-5)


@pytest.mark.parametrize("context", [0, 1])
def test_state_after_event_t_ignores_later_events(context: int) -> None:
    torch.manual_seed(0)
    memory = UserMemory(ModelConfig(dim=8, time_dim=4, recent=3, context_layers=context)).eval()
    z, types, times, lengths = _events()
    u, _ = memory(z, types, times, lengths)
    t = 3
    z2, types2, times2 = z.clone(), types.clone(), times.clone()
    z2[:, t + 1 :] = torch.randn_like(z2[:, t + 1 :])
    types2[:, t + 1 :] = PURCHASE
    times2[:, t + 1 :] += 5e6
    u2, _ = memory(z2, types2, times2, lengths)
    assert torch.allclose(u[:, : t + 1], u2[:, : t + 1], atol=1e-6)
    assert not torch.allclose(u[0, t + 1 :], u2[0, t + 1 :])


def test_context_layers_make_an_events_value_depend_on_the_events_before_it() -> None:
    torch.manual_seed(0)
    memory = UserMemory(ModelConfig(dim=8, time_dim=4, recent=3, context_layers=1)).eval()
    z, types, times, lengths = _events(B=2, L=3)
    lengths = torch.tensor([3, 3])
    z[1, 2], types[1, 2] = z[0, 2], types[0, 2]  # the same newest event after different earlier ones
    trace, _ = memory.trace(z, types, times, lengths)
    newest = trace.window_v[:, 2, -1]  # [2, d]: the newest event's value in each user's window
    assert not torch.allclose(newest[0], newest[1], atol=1e-4)
    plain = UserMemory(ModelConfig(dim=8, time_dim=4, recent=3)).eval()
    assert torch.allclose(
        plain.trace(z, types, times, lengths)[0].window_v[:, 2, -1].diff(dim=0), torch.zeros(8)
    )
    # the state still splits exactly into its memory part, one part per window event and the bias
    memory_part, events, bias = memory.readout_parts(trace.h, trace.alpha, trace.window_v)
    assert torch.allclose(memory_part + events.sum(-2) + bias, trace.u, atol=1e-5)
    assert torch.all(trace.window_v[~trace.valid] == 0)


def test_a_purchase_moves_the_state_more_than_a_view() -> None:
    torch.manual_seed(0)
    memory = UserMemory(ModelConfig(dim=16, time_dim=4)).eval()
    g = torch.Generator().manual_seed(3)
    before = torch.randn(64, 2, 16, generator=g)  # 64 users, one shared first event each
    start = memory.step(memory.empty_state(64), before[:, 0], torch.full((64,), VIEW), torch.zeros(64))
    base = memory.readout(start)
    moves = {}
    for kind in (VIEW, PURCHASE):
        after = memory.step(start, before[:, 1], torch.full((64,), kind), torch.full((64,), 60.0))
        moves[kind] = (memory.readout(after) - base).norm(dim=1).mean()
    assert moves[PURCHASE] > moves[VIEW]
    strength = memory.log_strength.exp()
    assert strength[PURCHASE] > strength[EVENT_VOCAB.index("cart")] > strength[VIEW]


def test_event_type_codes_map_unknown_types_to_other() -> None:
    assert event_type_codes(["view", "purchase", "refund"]).tolist() == [VIEW, PURCHASE, len(EVENT_VOCAB) - 1]
