"""Small helpers of the Replay page: labels, the step filter and moves, figure export. Text from the
data is shown as plain text (st.dataframe cells, captions without markup)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import state

MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~$"


def plain(text: object) -> str:
    """Text from data made inert for st.markdown: every markdown/HTML character escaped."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in str(text))


def user_label(user: str, counts: pd.DataFrame, names: dict[str, str] | None) -> str:
    row = counts.loc[user].to_dict()
    shown = names[user] if names else user
    return f"{shown} · {row['events']:,} events · {row['first']:%d %b} – {row['last']:%d %b %Y}"


def visible_steps(steps: pd.DataFrame, types: Sequence[str], dates: object) -> list[int]:
    """Steps matching the event-type and date filters (the ones previous / next / play visit)."""
    mask = steps["event_type"].isin(list(types))
    if isinstance(dates, tuple | list) and len(dates) == 2:
        lo, hi = dates
        day = steps["timestamp"].dt.date
        mask &= (day >= lo) & (day <= hi)
    elif isinstance(dates, dt.date):
        mask &= steps["timestamp"].dt.date == dates
    return [int(s) for s in steps.loc[mask, "step"]]


def move_step(visible: list[int], direction: int) -> None:
    """Move the step to the previous / next visible step (a callback: runs before the page)."""
    now = int(st.session_state.get(state.STEP, 0))
    if direction > 0:
        after = [s for s in visible if s > now]
        if after:
            st.session_state[state.STEP] = after[0]
    else:
        before = [s for s in visible if s < now]
        if before:
            st.session_state[state.STEP] = before[-1]


def change_label(status: str, prev_rank: float | None, rank: float | None) -> str:
    """▲ / ▼ by how many places since the previous step, ``new`` for an item that just entered."""
    if status == "entered" or prev_rank is None or rank is None or pd.isna(prev_rank) or pd.isna(rank):
        return "new"
    delta = int(prev_rank) - int(rank)
    return f"▲ {delta}" if delta > 0 else f"▼ {-delta}" if delta < 0 else "="


def step_caption(row: pd.Series, cut: int | None) -> str:
    when = f"{row['timestamp']:%Y-%m-%d %H:%M} UTC"
    split = "held out (after training)" if row["split"] == "heldout" else "training period"
    known = "" if row["known"] else " · item unknown to the model (embedded from its text)"
    return (
        f"**Step {int(row['step'])}** · {when} · {plain(row['event_type'])} **{plain(row['item_name'])}** "
        f"({plain(row['category'])}) · {split}{known}"
    )


def explanation_rows(explanations: pd.DataFrame, rank: int) -> pd.DataFrame:
    """One listed item's score parts, largest first: part, contribution, share and the sentence."""
    rows = explanations[explanations["rank"] == rank]
    rows = rows.assign(order=rows["contribution"].abs()).sort_values("order", ascending=False)
    out = rows[["text", "contribution", "share"]].rename(columns={"text": "why"})
    out["share"] = out["share"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "")
    return out


def explanation_markdown(rows: pd.DataFrame) -> str:
    """The parts of one score as a markdown list (data text escaped), largest first: light to render
    at every step, unlike a grid per item."""
    lines = [
        f"- `{contribution:+.3f}` {plain(why)}"
        for why, contribution in zip(rows["why"].tolist(), rows["contribution"].tolist(), strict=True)
    ]
    return "\n".join(lines) or "No parts."


NEGLIGIBLE = 5e-4  # parts that print as ±0.000 are folded into one line


def explanation_texts(explanations: pd.DataFrame, ranks: Sequence[int]) -> dict[int, str]:
    """:func:`explanation_markdown` of each of ``ranks`` at once (one step's explanations in): one pass
    over the table instead of one filter and sort per listed item. Parts too small to print (under
    ``NEGLIGIBLE``) are folded into one closing line with their count and sum, so the parts shown
    still add up to the score."""
    rows = explanations[explanations["rank"].isin(list(ranks))]
    rows = rows.assign(order=-rows["contribution"].abs()).sort_values(["rank", "order"], kind="stable")
    lines: dict[int, list[str]] = {}
    small: dict[int, list[float]] = {}
    for rank, why, contribution in zip(
        rows["rank"].tolist(), rows["text"].tolist(), rows["contribution"].tolist(), strict=True
    ):
        if abs(contribution) < NEGLIGIBLE:
            small.setdefault(int(rank), []).append(float(contribution))
        else:
            lines.setdefault(int(rank), []).append(f"- `{contribution:+.3f}` {plain(why)}")
    for rank, values in small.items():
        more = f"{len(values)} more {'parts' if len(values) > 1 else 'part'} under 0.001 each"
        lines.setdefault(rank, []).append(f"- `{sum(values):+.3f}` {more}")
    return {rank: "\n".join(text) for rank, text in lines.items()}


def explain_label(rank: int, name: object) -> str:
    """An item in the explanation selector: plain text (a selectbox shows options as text, not markdown)."""
    return f"#{int(rank)} · {name}"


def explanation_panel(rank: int, name: object, score: float, text: str) -> str:
    """The one explanation shown at a step: a bold heading (data text escaped) and the parts' lines."""
    return f"**#{int(rank)} {plain(name)}** · score {score:.3f}\n\n{text}"


def keep_pick() -> None:
    """The explanation selector's callback: remember the visitor's choice, so later steps keep showing
    that item while it is listed (and the top item once it left)."""
    st.session_state[state.EXPLAIN_PICK] = st.session_state[state.EXPLAIN]


def export_figure(fig: go.Figure, kind: str) -> bytes:
    """A figure as standalone HTML (plotly.js inlined: works offline) or PNG (kaleido, local Chromium)."""
    if kind == "HTML":
        return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    return bytes(fig.to_image(format="png", width=1200, height=int(fig.layout.height or 500), scale=2))


def safe_name(text: str) -> str:
    """A file-name-safe version of a label (letters, digits, dash, underscore, dot)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60] or "trace"
