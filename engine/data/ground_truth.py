"""What a synthetic timeline planted: per user, the interest mixture over categories and when it shifts.

Later work checks drift detection against this: a detector should fire near ``DriftPoint.time_s`` and
its interest estimate should move from ``before`` towards ``after``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

Mixture = dict[str, float]  # category name -> weight; weights sum to 1, categories absent have weight 0


def iso_utc(seconds: int) -> str:
    """Unix seconds -> '2026-01-05T00:00:00+00:00'."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


@dataclass
class DriftPoint:
    """One planted shift of a user's interests: sessions from ``time_s`` on draw from ``after``."""

    time_s: int
    time_iso: str
    before: Mixture
    after: Mixture

    def dominant_after(self) -> str:
        return max(self.after, key=lambda c: self.after[c])


@dataclass
class UserTruth:
    """A user's planted interests: ``initial`` until the first drift, then each drift's ``after``."""

    user_id: str
    initial: Mixture
    drifts: list[DriftPoint] = field(default_factory=list)

    def mixture_at(self, seconds: float) -> Mixture:
        """The mixture in force at unix time ``seconds``."""
        current = self.initial
        for drift in self.drifts:
            if seconds >= drift.time_s:
                current = drift.after
        return current


@dataclass
class GroundTruth:
    """Everything planted in one synthetic timeline, JSON-able through ``to_dict``."""

    seed: int
    config: dict[str, Any]
    start_s: int
    end_s: int
    categories: list[str]
    users: dict[str, UserTruth]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroundTruth:
        users = {
            uid: UserTruth(
                user_id=u["user_id"],
                initial=dict(u["initial"]),
                drifts=[DriftPoint(**d) for d in u["drifts"]],
            )
            for uid, u in data["users"].items()
        }
        return cls(
            seed=int(data["seed"]),
            config=dict(data["config"]),
            start_s=int(data["start_s"]),
            end_s=int(data["end_s"]),
            categories=list(data["categories"]),
            users=users,
        )

    def drifting_users(self) -> list[str]:
        return [uid for uid, user in self.users.items() if user.drifts]
