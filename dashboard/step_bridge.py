"""The Replay step bridge: one small component that hands each step's payload to the views drawn once
per trace (the graph iframe, the plotly charts), which then update in place in the browser.

A step used to redraw five plotly figures (a new figure each: Streamlit remounts it) and reload the graph
iframe (new HTML: a new document, vis-network started again). Now the figures and the iframe page do not
change with the step, and this component's JavaScript (``step_bridge.js``) moves the step marks and
updates the graph's DataSets. Only JSON data crosses over, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

KEY = "replay_step_bridge"
_COMPONENT = st.components.v2.component(
    "interest_replay.step_bridge", js=(Path(__file__).with_name("step_bridge.js")).read_text()
)


def show(payload: dict[str, Any]) -> None:
    """Send ``payload`` ({stamp, step, graph, charts}) to the page; renders nothing visible."""
    _COMPONENT(data=payload, key=KEY, height=0)
