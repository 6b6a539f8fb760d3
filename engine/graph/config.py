"""GraphConfig: how events become interest-graph edges (strengths, windows, decay, pruning)."""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 86_400.0


def _default_strengths() -> dict[str, float]:
    # A purchase says more about an interest than a cart, a cart more than a like, a like more than a view.
    return {"view": 1.0, "like": 2.0, "cart": 3.0, "purchase": 5.0}


@dataclass
class GraphConfig:
    """Settings of the interest graph. Times are in seconds.

    Two events of one user co-occur when the earlier one is among the ``max_links`` events before the
    later one, at most ``window_s`` earlier and, when ``respect_sessions`` and both carry a session id,
    in the same session. Each co-occurrence adds ``(s_prev + s_cur) / 2`` (event strengths) to the
    item-item edge; weights decay as ``w(t) = w(t0) * 2 ** (-(t - t0) / half_life_s)``.
    """

    # Interests in shops fade over weeks (the Taobao / OTTO logs span 1-4 weeks); raise it for slow
    # catalogues such as MovieLens, whose users rate in bursts months apart.
    half_life_s: float = 14 * DAY
    # Two events further apart than this belong to different visits, so they say little about each other.
    window_s: float = 3 * HOUR
    # A session id, where the data has one, is a better visit boundary than a fixed window.
    respect_sessions: bool = True
    # Linking each event to its few predecessors keeps the graph O(events) and the edges local.
    max_links: int = 5
    # Event type -> strength; a type not listed here counts as ``default_strength``.
    strengths: dict[str, float] = field(default_factory=_default_strengths)
    # Unknown event types (kept by the validator as found) count like a view: present but weak.
    default_strength: float = 1.0
    # A single view-view edge (weight 1) falls under 0.05 after log2(20) ~ 4.3 half-lives (~2 months).
    prune_threshold: float = 0.05
    # Prune automatically whenever data time has advanced this much since the last prune; between prunes
    # an edge lingers at most this long under the threshold. None: only explicit ``prune()`` calls.
    prune_every_s: float | None = 14 * DAY
    # Item -> category membership edges give new items a neighbour from their first event.
    category_edges: bool = True
    # Membership is a fact, not an interaction: a constant weight that does not decay.
    category_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.half_life_s <= 0:
            raise ValueError(f"half_life_s must be positive, got {self.half_life_s}")
        if self.window_s < 0:
            raise ValueError(f"window_s must be >= 0, got {self.window_s}")
        if self.max_links < 0:
            raise ValueError(f"max_links must be >= 0, got {self.max_links}")
        if self.prune_threshold < 0:
            raise ValueError(f"prune_threshold must be >= 0, got {self.prune_threshold}")
        if self.prune_every_s is not None and self.prune_every_s <= 0:
            raise ValueError(f"prune_every_s must be positive or None, got {self.prune_every_s}")
        if any(v <= 0 for v in self.strengths.values()) or self.default_strength <= 0:
            raise ValueError("event strengths must be positive")

    def strength(self, event_type: str) -> float:
        """The strength of one event type (``default_strength`` when not configured)."""
        return float(self.strengths.get(event_type, self.default_strength))
