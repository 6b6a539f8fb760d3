"""The sidebar every page shares: which events the app replays (demo data or an uploaded file)."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, service, state
from engine import api


def data_source() -> None:
    with st.sidebar:
        st.title("Interest Replay")
        st.radio("Events", [state.DEMO, state.UPLOADED], key=state.DATA_SOURCE)
        if st.session_state[state.DATA_SOURCE] == state.UPLOADED:
            st.file_uploader(
                "Events file (CSV, TSV, Parquet, JSONL)",
                key=state.UPLOAD,
                type=["csv", "tsv", "txt", "parquet", "jsonl", "json", "inter"],
            )
            st.selectbox("Preset", [state.NO_PRESET, *api.PRESETS], key=state.PRESET)
            st.text_input(
                "Column map", key=state.COLUMN_MAP, placeholder="user=visitorid,item=itemid,time=ts"
            )
            st.text_input("Event map", key=state.EVENT_MAP, placeholder="addtocart=cart,transaction=purchase")
        model_choice()


def model_choice() -> None:
    """The model every page replays with: the default one or one from the registry (Models page)."""
    try:
        names = [e.name for e in analysis.registry().entries()]
    except api.DataError as err:
        st.caption(f"The model registry cannot be read: {err}")
        names = []
    options = [state.DEFAULT_MODEL, *names]
    if st.session_state.get(state.MODEL_CHOICE) not in options:
        st.session_state[state.MODEL_CHOICE] = state.DEFAULT_MODEL
    st.selectbox("Model", options, key=state.MODEL_CHOICE, help="train or upload more on the Models page")


def current_timeline() -> api.Timeline | None:
    """The timeline the sidebar selects, or None (with the reason shown) when there is none yet."""
    if st.session_state.get(state.DATA_SOURCE, state.DEMO) == state.DEMO:
        return service.demo_timeline()
    upload = st.session_state.get(state.UPLOAD)
    if upload is None:
        st.info("Upload an events file in the sidebar, or switch back to the demo data.")
        return None
    preset = st.session_state.get(state.PRESET)
    try:
        return service.uploaded_timeline(
            upload.name,
            upload.getvalue(),
            None if preset in (None, state.NO_PRESET) else preset,
            st.session_state.get(state.COLUMN_MAP, ""),
            st.session_state.get(state.EVENT_MAP, ""),
        )
    except api.DataError as err:
        st.error(f"Cannot use this file: {err}")
        return None
