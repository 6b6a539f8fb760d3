"""Downloads of the analyst pages: each table as CSV, each page's figures as HTML or PNG.

CSV goes through ``api.safe_csv`` (formula-like cells neutralised); figures through the Replay page's
``export_figure`` (HTML with plotly.js inlined, so it opens offline; PNG with kaleido when Chromium is
there). Files are made when the button is clicked, so a page never pays for an export it does not take.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import service
from dashboard.replay_view import export_figure, safe_name
from engine import api

FIGURE_KINDS = ("HTML", "PNG")


def csv_button(table: pd.DataFrame, name: str, key: str, label: str = "CSV") -> None:
    """A download button for ``table`` as ``<name>.csv`` (formula-like text cells neutralised)."""
    st.download_button(
        label,
        lambda: api.safe_csv(table),
        f"{safe_name(name)}.csv",
        "text/csv",
        key=key,
        icon=":material/download:",
        help="the table as CSV; cells that a spreadsheet would run as a formula start with '",
    )


def figure_export(figures: Mapping[str, go.Figure], key: str, prefix: str = "") -> None:
    """An expander to download one of ``figures`` (label -> figure) as HTML or PNG."""
    with st.expander("Export figures"):
        cols = st.columns([2, 1.2, 2])
        label = cols[0].selectbox("Figure", list(figures), key=f"{key}_figure")
        kind = cols[1].radio("As", FIGURE_KINDS, horizontal=True, key=f"{key}_kind")
        if label is None:
            return
        stem = safe_name(f"{prefix}{label}")
        if kind == "PNG" and not service.png_export_available():
            cols[2].caption("PNG export needs Chromium for kaleido; HTML works everywhere.")
            return
        figure = figures[label]
        cols[2].download_button(
            f"Download {kind}",
            lambda: export_figure(figure, kind),
            f"{stem}.{kind.lower()}",
            "image/png" if kind == "PNG" else "text/html",
            key=f"{key}_download",
            icon=":material/download:",
        )
        st.caption("HTML files carry plotly.js inside (about 4 MB), so they open without a network.")
