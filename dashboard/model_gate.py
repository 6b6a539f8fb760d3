"""The model the Replay and What-if pages share: loaded, or trained on first start with a progress bar."""

from __future__ import annotations

import streamlit as st

from dashboard import service
from engine import api


def current_model(timeline: api.Timeline) -> tuple[api.ReplayModel, str] | None:
    """The model for ``timeline`` and its cache key (path and fingerprint); None, with the reason
    shown, when no model can be trained on this data."""
    bar = st.empty()

    def progress(done: float, text: str) -> None:
        bar.progress(done, text=text)

    try:
        model, notice = service.replay_model(timeline, progress)
    except api.DataError as err:
        st.error(f"Cannot train a model on this data: {err}")
        return None
    bar.empty()
    if notice:
        st.warning(notice)
    info = api.model_info(model)
    return model, f"{info['path']}:{info['fingerprint']}"
