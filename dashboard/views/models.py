"""Models: the model in use, the registry of trained models, training in the background, checkpoint upload."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, exports, jobs, model_figures, model_gate, sidebar, state
from dashboard.replay_view import plain
from engine import api


def _use(name: str) -> None:
    """A callback: runs before the sidebar's model picker is drawn, so it may set its value."""
    st.session_state[state.MODEL_CHOICE] = name


def _delete(store: api.ModelRegistry, name: str) -> None:
    store.remove(name)
    if st.session_state.get(state.MODEL_CHOICE) == name:
        st.session_state[state.MODEL_CHOICE] = state.DEFAULT_MODEL


st.header("Models")
timeline = sidebar.current_timeline()
if timeline is None:
    st.stop()
fingerprint = timeline.fingerprint()
store = analysis.registry()

# -- the model in use ------------------------------------------------------------------------------------
st.subheader("In use", divider="gray")
gate = model_gate.current_model(timeline)
if gate is not None:
    model, model_key = gate
    info = api.model_info(model)
    cols = st.columns(4)
    cols[0].metric("Model", st.session_state.get(state.MODEL_CHOICE, state.DEFAULT_MODEL).split(" (")[0])
    cols[1].metric("Items", f"{info['items']:,}")
    cols[2].metric("Trained until", (info["trained_until"] or "–")[:10])
    history = info["history"]
    best = max((r["val_ndcg"] for r in history if r.get("val_ndcg") is not None), default=None)
    cols[3].metric("Validation NDCG@20", "–" if best is None else f"{best:.3f}", help="best epoch of the fit")
    if history:
        curves = model_figures.training_curves(history)
        st.plotly_chart(curves, width="stretch", key="model_curves")
        exports.figure_export({"training curves": curves}, "model_fig", "model-")
    st.download_button(
        "Item embeddings for the TensorBoard Projector (zip)",
        lambda: analysis.projector_zip(model, model_key),
        "item-embeddings-projector.zip",
        "application/zip",
        key="projector_zip",
        icon=":material/download:",
        help="vectors.tsv (one row per item) and metadata.tsv (item_id, name, category): load both at "
        "projector.tensorflow.org or in TensorBoard's projector",
    )
    st.caption(
        "Validation is the latest tenth of the training events, held out from the fit. For the model "
        "against every baseline on a named protocol, see Metrics."
    )
    st.page_link("views/metrics.py", label="Evaluation on the Metrics page", icon=":material/leaderboard:")

# -- the registry ----------------------------------------------------------------------------------------
st.subheader("Registry", divider="gray")
try:
    entries = store.entries()
except api.DataError as err:
    st.error(str(err))
    entries = []
if not entries:
    st.caption("No model is registered yet: train one below or upload a checkpoint.")
else:
    table = pd.DataFrame(
        {
            "name": [e.name for e in entries],
            "data": ["this data" if e.data_fingerprint == fingerprint else "other" for e in entries],
            "source": [e.source for e in entries],
            "created (UTC)": [e.created[:16].replace("T", " ") for e in entries],
            "events": [e.events for e in entries],
            "validation NDCG@20": [e.val_ndcg for e in entries],
            "trained until": [(e.trained_until or "")[:10] for e in entries],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="registry_table",
        column_config={
            "name": st.column_config.TextColumn("name"),
            "validation NDCG@20": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    exports.csv_button(table, "model-registry", "registry_csv")
    pick = st.columns([3, 1, 1])
    chosen = pick[0].selectbox("Registered model", [e.name for e in entries], key="registry_pick")
    pick[1].button("Use on every page", width="stretch", on_click=_use, args=(chosen,))
    pick[2].button("Delete", width="stretch", on_click=_delete, args=(store, chosen))

# -- training --------------------------------------------------------------------------------------------
st.subheader("Train a model", divider="gray")
job = jobs.current(state.TRAIN_JOB)
with st.form("train_form", border=True):
    row = st.columns([2, 2, 1])
    name = row[0].text_input("Name", key=state.TRAIN_NAME, max_chars=80, placeholder="e.g. january-run")
    cut = row[1].slider(
        "Train on events before this quantile of time",
        0.5,
        1.0,
        0.8,
        step=0.05,
        key=state.TRAIN_CUT,
        help="1.0 trains on every event; below it, later events stay held out (Replay marks the cut)",
    )
    epochs = row[2].number_input("Max epochs", 1, 100, 30, key=state.TRAIN_EPOCHS)
    submitted = st.form_submit_button("Train in the background", disabled=job is not None and job.running)
if submitted:
    if not name.strip():
        st.warning("Give the model a name first.")
    else:
        try:
            job = analysis.start_training(timeline, name, None if cut >= 1.0 else cut, int(epochs))
        except api.DataError as err:
            st.warning(plain(err))
if job is not None and job.running and st.button("Cancel training"):
    job.cancel.set()


@st.fragment(run_every=1.0 if job is not None and job.running else None)
def training() -> None:
    """Live progress and curves of this visitor's training run (another visitor's runs are not shown)."""
    current = jobs.current(state.TRAIN_JOB)
    if current is None:
        return
    if current.running:
        st.progress(
            current.progress, text=f"{plain(current.label)}: {current.text} · {current.seconds:.0f} s"
        )
    elif current.cancelled:
        st.caption(
            f"The {plain(current.label)} was cancelled after {current.seconds:.0f} s; nothing was saved."
        )
    elif current.error:
        st.error(f"The {plain(current.label)} failed: {plain(current.error)}")
    else:
        st.success(
            f"Trained and registered {plain(repr(current.result.name))} in {current.seconds:.0f} s; pick it "
            "in the sidebar to use it on every page."
        )
    if current.records:
        st.plotly_chart(model_figures.training_curves(current.records), width="stretch", key="train_curves")
    if not current.running and st.session_state.get(state.TRAIN_SHOWN) != current.started:
        st.session_state[state.TRAIN_SHOWN] = current.started
        st.rerun()  # the registry table and the sidebar list the new model


training()

# -- checkpoint upload -----------------------------------------------------------------------------------
st.subheader("Load a checkpoint", divider="gray")
st.caption(
    f"A `.pt` file written by `python -m engine train` (at most {sidebar.upload_limit_mb()} MB). It is read "
    "as plain tensors only (`weights_only=True`), never unpickled, and must fit these events."
)
upload_row = st.columns([3, 2, 1])
# no `type=`: another type reaches the page and gets its message here, not only a browser tooltip
upload = upload_row[0].file_uploader("Checkpoint", key=state.CHECKPOINT_UPLOAD)
upload_name = upload_row[1].text_input("Name", key=state.CHECKPOINT_NAME, max_chars=80)
upload_row[2].write("")
refused = None if upload is None else sidebar.upload_problem(upload.name, upload.size, ("pt",))
if refused:
    st.error(refused)
if (
    upload_row[2].button("Register", disabled=upload is None or refused is not None, width="stretch")
    and upload is not None
):
    try:
        entry = api.register_upload(store, upload_name or upload.name, upload.getvalue(), timeline)
    except api.DataError as err:
        st.error(f"Cannot use this checkpoint: {plain(err)}")
    else:
        st.success(f"Registered {plain(repr(entry.name))}; pick it in the sidebar to use it on every page.")
