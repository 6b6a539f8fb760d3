"""The model every page uses: the one chosen in the sidebar from the registry, or the default one (loaded,
or trained on first start with a progress bar)."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, service, state
from dashboard.replay_view import plain
from engine import api


def current_model(timeline: api.Timeline) -> tuple[api.ReplayModel, str] | None:
    """The model for ``timeline`` and its cache key (path and fingerprint); None, with the reason
    shown, when no model can be trained on this data or the chosen one cannot replay it."""
    chosen = st.session_state.get(state.MODEL_CHOICE, state.DEFAULT_MODEL)
    if chosen != state.DEFAULT_MODEL:
        return _registered(timeline, chosen)
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


def _registered(timeline: api.Timeline, name: str) -> tuple[api.ReplayModel, str] | None:
    store = analysis.registry()
    entry = next((e for e in store.entries() if e.name == name), None)
    if entry is None:
        st.warning(f"The model {plain(repr(name))} is no longer registered; pick another in the sidebar.")
        return None
    path = store.path(entry)
    try:
        model = analysis.registered_model(
            str(path), path.stat().st_mtime_ns, timeline.fingerprint(), timeline
        )
    except api.DataError as err:
        st.error(f"The model {plain(repr(name))} cannot replay these events: {plain(err)}")
        return None
    return model, f"{path}:{model.fingerprint}"
