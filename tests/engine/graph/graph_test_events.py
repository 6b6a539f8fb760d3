"""Helpers for the graph tests: small event frames through the real validator.

(A uniquely named module, not conftest.py, so that ``import`` finds it whatever other test folders hold.)
"""

from __future__ import annotations

import pandas as pd

from engine.data.validate import normalize

HOUR = 3600.0
DAY = 86_400.0


def events(
    rows: list[tuple], columns: tuple[str, ...] = ("user_id", "item_id", "timestamp", "event_type")
) -> pd.DataFrame:
    """Validated, time-sorted events (as ``Timeline.events``) from tuples; timestamps in unix seconds."""
    raw = pd.DataFrame(rows, columns=list(columns))
    return normalize(raw, "test", drop_outliers=False).events
