"""Interest Replay dashboard: `streamlit run dashboard/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts dashboard/ on sys.path, not the repo root; the engine lives beside it.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import graph_html, sidebar  # noqa: E402

st.set_page_config(page_title="Interest Replay", page_icon=":material/timeline:", layout="wide")
graph_html.install_static()  # vis-network, served once from /app/static for every graph

VIEWS = Path(__file__).parent / "views"  # not pages/: that folder name turns on the legacy page list
pages = [
    st.Page(str(VIEWS / "replay.py"), title="Replay", icon=":material/replay:", default=True),
    st.Page(str(VIEWS / "whatif.py"), title="What-if", icon=":material/alt_route:"),
    st.Page(str(VIEWS / "data.py"), title="Data", icon=":material/dataset:"),
    st.Page(str(VIEWS / "models.py"), title="Models", icon=":material/model_training:"),
    st.Page(str(VIEWS / "segments.py"), title="Segments & trends", icon=":material/scatter_plot:"),
    st.Page(str(VIEWS / "metrics.py"), title="Metrics", icon=":material/leaderboard:"),
    st.Page(str(VIEWS / "seed.py"), title="Seed example", icon=":material/calculate:"),
]
navigation = st.navigation(pages)
sidebar.data_source()
navigation.run()
