"""Per-user temporal memory: a recurrent state updated after every event, read out by attention.

The same parameters run two ways with identical results: ``forward`` over whole padded sequences
(training and batch replay) and ``step`` for one event of a batch of users (incremental replay: O(R d)
work per event, independent of the catalogue and of other users).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine.data.schema import EVENT_TYPES
from engine.model.config import ModelConfig

# Event-type codes: the known vocabulary in order, then one code for every other type.
EVENT_VOCAB: tuple[str, ...] = (*EVENT_TYPES, "other")


def event_type_codes(values: Iterable[object]) -> np.ndarray:
    """Event-type names -> codes into ``EVENT_VOCAB`` (unknown types -> ``other``), shape [n] int64."""
    lookup = {name: code for code, name in enumerate(EVENT_VOCAB)}
    other = len(EVENT_VOCAB) - 1
    return np.array([lookup.get(str(v), other) for v in values], dtype=np.int64)


class TimeEncoder(nn.Module):
    r"""Cosine time encoding of a gap (TGN's, on a log scale so seconds and months both resolve).

    .. math:: \phi(\Delta) = \cos(\omega \log(1 + \Delta) + b)

    Shapes: input [...] seconds (>= 0) -> output [..., time_dim]
    """

    def __init__(self, time_dim: int) -> None:
        super().__init__()
        self.lin = nn.Linear(1, time_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # frequencies spread over log-seconds 0..~17 (a second .. a year), phases zero
        with torch.no_grad():
            self.lin.weight.copy_(torch.linspace(0.05, 2.0, self.lin.out_features).unsqueeze(1))
            self.lin.bias.zero_()

    def forward(self, gap_s: Tensor) -> Tensor:
        return torch.cos(self.lin(torch.log1p(gap_s.clamp_min(0)).unsqueeze(-1)))


@dataclass
class MemoryState:
    """The memory of B users after their events so far (leading dim B everywhere; newest event last).

    ``h``/``c`` the recurrent state (``c`` only for LSTM, zeros otherwise); ``recent_*`` the last R
    events' values, times, type codes and a validity mask; ``last_t`` the time of the newest event.
    """

    h: Tensor  # [B, d]
    c: Tensor  # [B, d]
    recent_v: Tensor  # [B, R, d]
    recent_t: Tensor  # [B, R] float seconds
    recent_type: Tensor  # [B, R] int64
    recent_mask: Tensor  # [B, R] bool
    last_t: Tensor  # [B] float seconds
    count: Tensor  # [B] int64 events seen

    def index(self, rows: Tensor) -> MemoryState:
        """The states of some users, ``rows`` [B'] -> a MemoryState of B' users."""
        return MemoryState(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


@dataclass
class MemoryTrace:
    """What the memory computed at every position of B padded sequences, for explaining its states.

    ``u`` the user states, ``h`` the recurrent states, ``alpha`` the readout attention over each
    position's window of recent events (rows sum to 1 where any event is valid), ``window_v`` those
    events' values :math:`v_j` and ``valid`` which window slots hold an event. Slot ``R - 1`` is the
    position itself, slot ``r`` the event ``R - 1 - r`` positions earlier.
    """

    u: Tensor  # [B, L, d]
    h: Tensor  # [B, L, d]
    alpha: Tensor  # [B, L, R]
    window_v: Tensor  # [B, L, R, d]
    valid: Tensor  # [B, L, R] bool


class UserMemory(nn.Module):
    r"""TGN-style user memory with event-type-weighted attention over the user's recent events.

    For the user's event :math:`t` on item :math:`i_t` with type :math:`c_t` at time :math:`\tau_t`
    (item embedding :math:`z_{i_t}`, learned type strength :math:`s_c > 0`, initialised
    purchase > cart > like > view):

    .. math::
        m_t &= [\, s_{c_t} z_{i_t} \,\|\, e_{c_t} \,\|\, \phi(\tau_t - \tau_{t-1}) \,] \\
        h_t &= \mathrm{GRU}(m_t, h_{t-1}) \quad (\text{or LSTM}) \\
        v_j &= z_{i_j} + e_{c_j}, \qquad k_j = W_k [\, v_j \,\|\, \phi(\tau_t - \tau_j) \,] \\
        \alpha_{tj} &= \mathrm{softmax}_{j \in R(t)}\big((W_q h_t)^\top k_j / \sqrt{d} + \log s_{c_j}\big) \\
        u_t &= W_o [\, h_t \,\|\, \textstyle\sum_j \alpha_{tj} v_j \,]

    With ``context_layers`` > 0 each window's values are first contextualised by a Transformer encoder
    (SASRec-style self-attention, Kang & McAuley 2018) over the window's valid slots, with a learned
    embedding :math:`p_r` of each slot's position from the newest:
    :math:`\tilde v_{t,\cdot} = \mathrm{TransformerEncoder}(v_{j} + p_{r(j)} : j \in R(t))`, and
    :math:`\tilde v` replaces :math:`v` in the keys and the sum (the window is the same whether the
    state is computed over a whole sequence or one step at a time, so both still agree).

    :math:`R(t)` is the user's last ``recent`` events up to and including :math:`t`, so a purchase both
    enters the recurrent update more strongly and draws more attention than a view. :math:`u_t` is the
    user state after event :math:`t`: it is used to predict event :math:`t+1` and never sees it.
    With ``use_memory=False`` (the "graph only" ablation) :math:`h_t = 0` and :math:`W_q h_t` is a
    learned query.

    Shapes:
        forward: z [B, L, d], types [B, L], times [B, L], lengths [B] -> u [B, L, d], final MemoryState
        step: state of B users, z [B, d], types [B], times [B] -> MemoryState
        readout: MemoryState -> u [B, d]
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d, T = config.dim, config.time_dim
        self.dim, self.recent, self.kind, self.use_memory = d, config.recent, config.memory, config.use_memory
        strengths = [config.event_strength.get(name, 1.0) for name in EVENT_VOCAB]
        self.register_buffer("initial_strength", torch.tensor(strengths, dtype=torch.float))
        self.log_strength = nn.Parameter(torch.empty(len(EVENT_VOCAB)))
        self.type_emb = nn.Embedding(len(EVENT_VOCAB), d)
        self.time_enc = TimeEncoder(T)
        rnn = nn.GRU if config.memory == "gru" else nn.LSTM
        self.rnn = rnn(2 * d + T, d, batch_first=True)
        self.key = nn.Linear(d + T, d)
        self.query = nn.Linear(d, d)
        self.out = nn.Linear(2 * d, d)
        self.dropout = nn.Dropout(config.dropout)
        self.position: nn.Embedding | None = None
        self.context: nn.TransformerEncoder | None = None
        if config.context_layers:
            self.position = nn.Embedding(config.recent, d)  # row r: slot r of the window (R - 1 = newest)
            layer = nn.TransformerEncoderLayer(
                d, config.heads, 2 * d, config.dropout, batch_first=True, norm_first=True
            )
            self.context = nn.TransformerEncoder(layer, config.context_layers, enable_nested_tensor=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.log_strength.copy_(torch.log(self.get_buffer("initial_strength")))
        nn.init.normal_(self.type_emb.weight, std=0.1)
        for module in (self.time_enc, self.rnn, self.key, self.query, self.out):
            module.reset_parameters()
        if self.position is not None and self.context is not None:
            nn.init.normal_(self.position.weight, std=0.1)
            for layer in self.context.layers:
                for child in layer.modules():
                    if child is not layer and hasattr(child, "reset_parameters"):
                        child.reset_parameters()

    # -- public API ------------------------------------------------------------------------------
    def empty_state(self, batch: int, device: torch.device | None = None) -> MemoryState:
        d, R = self.dim, self.recent
        device = device or self.log_strength.device
        zeros = torch.zeros(batch, d, device=device)
        return MemoryState(
            h=zeros,
            c=zeros.clone(),
            recent_v=torch.zeros(batch, R, d, device=device),
            recent_t=torch.zeros(batch, R, device=device),
            recent_type=torch.zeros(batch, R, dtype=torch.long, device=device),
            recent_mask=torch.zeros(batch, R, dtype=torch.bool, device=device),
            last_t=torch.zeros(batch, device=device),
            count=torch.zeros(batch, dtype=torch.long, device=device),
        )

    def forward(self, z: Tensor, types: Tensor, times: Tensor, lengths: Tensor) -> tuple[Tensor, MemoryState]:
        trace, state = self.trace(z, types, times, lengths)
        return trace.u, state

    def trace(
        self, z: Tensor, types: Tensor, times: Tensor, lengths: Tensor
    ) -> tuple[MemoryTrace, MemoryState]:
        """``forward`` keeping what explains each state: recurrent states, attention and its window."""
        B, L, _ = z.shape
        R = self.recent
        gaps = torch.diff(times, dim=1, prepend=times[:, :1])  # [B, L], first gap 0
        message = self._message(z, types, gaps)  # [B, L, 2d+T]
        h, h_last, c_last = self._run_rnn(message, lengths)  # [B, L, d], [B, d], [B, d]

        v = z + self.type_emb(types)  # [B, L, d]
        pad = (R - 1, 0)
        v_win = nn.functional.pad(v.transpose(1, 2), pad).unfold(2, R, 1).permute(0, 2, 3, 1)  # [B, L, R, d]
        t_win = nn.functional.pad(times, pad).unfold(1, R, 1)  # [B, L, R]
        type_win = nn.functional.pad(types, pad).unfold(1, R, 1)  # [B, L, R]
        position = torch.arange(L, device=z.device)
        offset = torch.arange(-R + 1, 1, device=z.device)
        valid = (position[:, None] + offset[None, :]) >= 0  # [L, R]: inside the sequence
        valid = valid.unsqueeze(0) & (position < lengths[:, None].to(z.device)).unsqueeze(-1)  # [B, L, R]
        ctx_win = self.contextualise(v_win, valid)  # [B, L, R, d]
        u, alpha = self._readout(h, ctx_win, times.unsqueeze(-1) - t_win, type_win, valid)  # [B, L, d]

        last = (lengths.to(z.device) - 1).clamp_min(0)  # [B]
        rows = torch.arange(B, device=z.device)
        state = MemoryState(
            h=h_last,
            c=c_last,
            recent_v=v_win[rows, last],
            recent_t=t_win[rows, last],
            recent_type=type_win[rows, last],
            recent_mask=valid[rows, last] & (lengths.to(z.device) > 0)[:, None],
            last_t=times[rows, last] * (lengths.to(z.device) > 0),
            count=lengths.to(z.device).long(),
        )
        return MemoryTrace(u=u, h=h, alpha=alpha, window_v=ctx_win, valid=valid), state

    def step(self, state: MemoryState, z: Tensor, types: Tensor, times: Tensor) -> MemoryState:
        """Add one event per user: O(R d) work each, touching nothing else."""
        gaps = torch.where(state.count > 0, times - state.last_t, torch.zeros_like(times))  # [B]
        message = self._message(z[:, None], types[:, None], gaps[:, None])  # [B, 1, 2d+T]
        if not self.use_memory:
            h, c = state.h, state.c
        elif self.kind == "lstm":
            _, (h_n, c_n) = self.rnn(message, (state.h[None], state.c[None]))
            h, c = h_n[0], c_n[0]
        else:
            _, h_n = self.rnn(message, state.h[None])
            h, c = h_n[0], state.c
        v = z + self.type_emb(types)  # [B, d]
        return MemoryState(
            h=h,
            c=c,
            recent_v=torch.cat([state.recent_v[:, 1:], v[:, None]], dim=1),
            recent_t=torch.cat([state.recent_t[:, 1:], times[:, None]], dim=1),
            recent_type=torch.cat([state.recent_type[:, 1:], types[:, None]], dim=1),
            recent_mask=torch.cat(
                [state.recent_mask[:, 1:], torch.ones_like(state.recent_mask[:, :1])], dim=1
            ),
            last_t=times,
            count=state.count + 1,
        )

    def readout(self, state: MemoryState) -> Tensor:
        """User states u [B, d] from memories (a user without events gets the readout of nothing)."""
        ages = state.last_t[:, None] - state.recent_t  # [B, R]
        valid = state.recent_mask[:, None]  # [B, 1, R]
        u, _ = self._readout(
            state.h[:, None], self.contextualise(state.recent_v[:, None], valid), ages[:, None],
            state.recent_type[:, None], valid,
        )  # fmt: skip
        return u[:, 0]

    def contextualise(self, v_win: Tensor, valid: Tensor) -> Tensor:
        """Each window's values after the context encoder (unchanged when ``context_layers`` = 0);
        invalid slots stay zero and are never read.

        Shapes: v_win [B, L, R, d], valid [B, L, R] -> [B, L, R, d]
        """
        if self.context is None or self.position is None:
            return v_win
        B, L, R, d = v_win.shape
        x = (v_win + self.position.weight).reshape(B * L, R, d)  # [B*L, R, d]
        pad = ~valid.reshape(B * L, R)  # [B*L, R] True = no event
        empty = pad.all(dim=1)  # windows without any event: let them read their zero slots, then zero
        out = self.context(x, src_key_padding_mask=pad & ~empty[:, None])  # [B*L, R, d]
        return out.masked_fill(pad[..., None], 0.0).reshape(B, L, R, d)

    # -- internals -------------------------------------------------------------------------------
    def _message(self, z: Tensor, types: Tensor, gaps: Tensor) -> Tensor:
        strength = self.log_strength.exp()[types].unsqueeze(-1)  # [B, L, 1]
        return torch.cat([strength * z, self.type_emb(types), self.time_enc(gaps)], dim=-1)

    def _run_rnn(self, message: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        B, L, _ = message.shape
        if not self.use_memory:
            zeros = message.new_zeros(B, self.dim)
            return message.new_zeros(B, L, self.dim), zeros, zeros
        if self.kind == "gru":
            # right padding never reaches valid positions of a forward RNN, and the unpacked kernel's
            # backward is several times faster on CPU; the GRU's output at a step is its state
            h, _ = self.rnn(message)  # [B, L, d]
            last = (lengths.to(message.device) - 1).clamp_min(0)
            h_n = h[torch.arange(B, device=message.device), last]  # [B, d]
            c_n = torch.zeros_like(h_n)
        else:  # the LSTM's cell state at each sequence's end needs the packed run
            packed = pack_padded_sequence(
                message, lengths.cpu().clamp_min(1), batch_first=True, enforce_sorted=False
            )
            out, (h_pack, c_pack) = self.rnn(packed)
            h, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # [B, L, d]
            h_n, c_n = h_pack[0], c_pack[0]
        empty = (lengths.to(message.device) == 0)[:, None]
        return h, h_n.masked_fill(empty, 0.0), c_n.masked_fill(empty, 0.0)

    def _readout(
        self, h: Tensor, v_win: Tensor, ages: Tensor, type_win: Tensor, valid: Tensor
    ) -> tuple[Tensor, Tensor]:
        # h [B, L, d]; v_win [B, L, R, d]; ages, type_win, valid [B, L, R] -> u [B, L, d], alpha [B, L, R]
        query = self.query(h)  # [B, L, d] (a learned constant when h = 0)
        # q . W_k[v ; phi] = (W_v^T q) . v + (W_t^T q) . phi: no [B, L, R, d] key tensor is built
        # (the bias term q . b is the same for every j, so the softmax drops it)
        w_v, w_t = self.key.weight[:, : self.dim], self.key.weight[:, self.dim :]  # [d, d], [d, T]
        logits = torch.einsum("bld,blrd->blr", query @ w_v, v_win)
        logits = logits + torch.einsum("blt,blrt->blr", query @ w_t, self.time_enc(ages))
        logits = logits / math.sqrt(self.dim)  # [B, L, R]
        logits = logits + self.log_strength[type_win]
        logits = logits.masked_fill(~valid, float("-inf"))
        alpha = torch.softmax(logits, dim=-1).nan_to_num(0.0)  # rows with no valid event -> 0
        attended = torch.einsum("blr,blrd->bld", alpha, v_win)  # [B, L, d]
        return self.out(self.dropout(torch.cat([h, attended], dim=-1))), alpha  # [B, L, d], [B, L, R]

    def readout_parts(self, h: Tensor, alpha: Tensor, window_v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        r"""The state split into additive parts: :math:`u = W_h h + \sum_j \alpha_j W_v v_j + b`.

        ``out`` is linear, so (in eval mode) the three parts sum to the readout exactly.

        Shapes: h [..., d], alpha [..., R], window_v [..., R, d]
            -> memory part [..., d], one part per window event [..., R, d], bias [d]
        """
        w_h, w_v = self.out.weight[:, : self.dim], self.out.weight[:, self.dim :]  # [d, d] each
        memory = h @ w_h.T  # [..., d]
        events = alpha.unsqueeze(-1) * (window_v @ w_v.T)  # [..., R, d]
        return memory, events, self.out.bias
