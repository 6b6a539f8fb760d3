"""ValidationReport: every row dropped or repaired while loading, counted by reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 5  # example row numbers kept per reason; enough to find the rows, small enough to print


@dataclass
class Issue:
    """One reason rows were dropped or repaired, with where to look."""

    reason: str
    column: str | None
    count: int
    example_rows: list[int] = field(default_factory=list)

    def describe(self) -> str:
        col = f" (column '{self.column}')" if self.column else ""
        rows = ", ".join(str(r) for r in self.example_rows)
        more = ", ..." if self.count > len(self.example_rows) else ""
        return (
            f"{self.count} {self.reason}{col}; rows {rows}{more}"
            if rows
            else f"{self.count} {self.reason}{col}"
        )


@dataclass
class ValidationReport:
    """What loading did to the input: rows read, kept, dropped and repaired, each by reason."""

    source: str = "<memory>"
    rows_read: int = 0
    rows_kept: int = 0
    dropped: list[Issue] = field(default_factory=list)
    repaired: list[Issue] = field(default_factory=list)
    other_event_types: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        return sum(issue.count for issue in self.dropped)

    def drop(self, reason: str, column: str | None, rows: list[int]) -> None:
        if rows:
            self.dropped.append(Issue(reason, column, len(rows), sorted(rows)[:MAX_EXAMPLES]))

    def repair(self, reason: str, column: str | None, rows: list[int]) -> None:
        if rows:
            self.repaired.append(Issue(reason, column, len(rows), sorted(rows)[:MAX_EXAMPLES]))

    @property
    def clean(self) -> bool:
        return not self.dropped and not self.repaired

    def to_text(self) -> str:
        lines = [f"rows read: {self.rows_read}, kept: {self.rows_kept}, dropped: {self.rows_dropped}"]
        lines += [f"  dropped {issue.describe()}" for issue in self.dropped]
        lines += [f"  repaired {issue.describe()}" for issue in self.repaired]
        if self.other_event_types:
            kinds = ", ".join(f"{k}={v}" for k, v in sorted(self.other_event_types.items()))
            lines.append(f"  kept unrecognised event types: {kinds}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "dropped": [vars(i) for i in self.dropped],
            "repaired": [vars(i) for i in self.repaired],
            "other_event_types": dict(self.other_event_types),
            "notes": list(self.notes),
        }
