"""The sidebar every page shares: which events the app replays (demo data or an uploaded file)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import analysis, login, service, state
from dashboard.replay_view import plain
from engine import api

UPLOAD_TYPES = ("csv", "tsv", "txt", "parquet", "jsonl", "json", "inter")


def data_source() -> None:
    """The data source and model pickers; first, the sign-in when secrets configure one (dashboard.login):
    until then no page runs."""
    if not login.require():
        st.stop()
    with st.sidebar:
        st.title("Interest Replay")
        st.radio("Events", [state.DEMO, state.UPLOADED], key=state.DATA_SOURCE)
        if st.session_state[state.DATA_SOURCE] == state.UPLOADED:
            st.file_uploader(
                "Events file (CSV, TSV, Parquet, JSONL)",
                key=state.UPLOAD,
                help=f"at most {upload_limit_mb()} MB (server.maxUploadSize in .streamlit/config.toml)",
            )
            # No `type=` on the uploader: the browser would refuse another type with a message only its
            # hover tooltip shows; upload_problem() says it on the page instead. A file over the size
            # limit is refused by the browser before it is sent (the server would drop it anyway).
            st.caption(
                f"Accepted: {', '.join(f'.{t}' for t in UPLOAD_TYPES)} · at most {upload_limit_mb()} MB: "
                "a bigger file is refused by the browser (its name turns red; hover it for the reason)."
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
    refused = upload_problem(upload.name, upload.size)
    if refused:
        st.error(refused)
        return None
    preset = st.session_state.get(state.PRESET)
    credit = api.attribution(None if preset in (None, state.NO_PRESET) else preset, upload.getvalue()[:4096])
    if credit:  # the licence asks for it wherever the data is shown: every page has the sidebar
        st.sidebar.caption(credit)
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


def large_parquet() -> tuple[str, str | bytes, str] | None:
    """The selected events as ``(name, path or bytes, cache key)`` when they are a Parquet file of more
    than ``api.LARGE_PARQUET_ROWS`` events, which the Data page summarises in parts instead of loading;
    None otherwise (then :func:`current_timeline` loads them and says what is wrong, if anything)."""
    try:
        if st.session_state.get(state.DATA_SOURCE, state.DEMO) == state.DEMO:
            path = api.ensure_default_data()
            key = f"{path}:{path.stat().st_mtime_ns}"
            return (str(path), str(path), key) if api.is_large_parquet(path) else None
        upload = st.session_state.get(state.UPLOAD)
        if upload is None or upload_problem(upload.name, upload.size):
            return None
        data = upload.getvalue()
        if not api.is_large_parquet(data):
            return None
    except api.DataError:
        return None  # not readable as Parquet: the loader's message says why
    preset = st.session_state.get(state.PRESET)
    credit = api.attribution(None if preset in (None, state.NO_PRESET) else preset, data[:4096])
    if credit:
        st.sidebar.caption(credit)
    return upload.name, data, f"upload:{upload.file_id}"


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def upload_problem(name: str, size: int, types: tuple[str, ...] = UPLOAD_TYPES) -> str | None:
    """Why an upload cannot be used (wrong type, over the size limit), or None. The browser refuses both
    before sending; this is the server's own check, for clients that do not."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in types:
        kinds = ", ".join(f".{t}" for t in types)
        return f"{plain(name)} is not a file type the app reads ({kinds})."
    limit = upload_limit_mb()
    if size > limit * 1024 * 1024:
        return f"{plain(name)} is {size / 2**20:,.0f} MB; the limit is {limit} MB (server.maxUploadSize)."
    return None
