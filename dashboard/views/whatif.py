"""What-if: edit one user's timeline, replay it, and compare the edited replay with the original."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import service, sidebar, state, whatif_figures, whatif_view
from dashboard.model_gate import current_model
from dashboard.replay_view import plain
from dashboard.user_picker import pick_user
from engine import api

K = 20  # list length, as on the Replay page (its cached original trace is reused)

st.header("What-if")
st.caption(
    "Edit this user's timeline (change an item, an event type or a time; add or delete rows), replay it "
    "and compare with the original replay, step by step. " + whatif_view.NOTE
)
timeline = sidebar.current_timeline()
if timeline is None:
    st.stop()
loaded = current_model(timeline)
if loaded is None:
    st.stop()
model, model_key = loaded
user, _ = pick_user(timeline)
fingerprint = timeline.fingerprint()
original = service.trace(model, timeline, model_key, fingerprint, user, K)
original_table = api.timeline_table(original.steps)
session = st.session_state
whatif_view.claim(session, (fingerprint, user), original_table)

# -- import: an edit list becomes the table it makes (before the editor, which starts from it) ----------
upload = st.file_uploader(
    "Import edits (JSON, the format `python -m engine whatif` reads)", type=["json"], key=state.WHATIF_IMPORT
)
if upload is not None:
    handled = session.get(state.WHATIF_IMPORTED)
    if handled is None or handled[0] != upload.file_id:
        try:
            imported = api.edited_table(timeline, user, api.parse_edits(upload.getvalue()))
        except api.DataError as err:
            session[state.WHATIF_IMPORTED] = (upload.file_id, f"Cannot import {upload.name}: {err}")
        else:
            session[state.WHATIF_IMPORTED] = (upload.file_id, None)
            whatif_view.restart(session, imported)
    problem = session[state.WHATIF_IMPORTED][1]
    if problem:
        st.error(plain(problem))
    else:
        st.success(plain(f"Imported {upload.name}: the table below shows its edits; replay to compare."))

# -- the editable timeline ---------------------------------------------------------------------------------
catalogue = service.catalogue(model, timeline, model_key, fingerprint)
labels = whatif_view.item_labels(catalogue)
types = [str(t) for t in timeline.events["event_type"].cat.categories]
editor_key, start = whatif_view.editor(session)
edited = st.data_editor(
    start,
    key=editor_key,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    height=360,
    disabled=["step"],
    column_config={
        "step": st.column_config.NumberColumn("step", help="the event's step in the original timeline"),
        "timestamp": st.column_config.DatetimeColumn(
            "time (UTC)", format="YYYY-MM-DD HH:mm:ss", step=1, timezone="UTC"
        ),
        "item_id": st.column_config.SelectboxColumn(
            "item",
            options=list(labels),
            format_func=lambda item: labels.get(str(item), str(item)),
            width="large",
        ),
        "event_type": st.column_config.SelectboxColumn("event type", options=types),
    },
)
session[state.WHATIF_TABLE] = edited
try:
    edits = api.edits_from_table(original_table, edited)
    table_problem = None
except api.DataError as err:
    edits, table_problem = [], str(err)
edits_text = api.edits_json(edits)

actions = st.columns([1.2, 1, 1.4, 4])
if actions[0].button("Replay edited", type="primary", disabled=table_problem is not None, key="whatif_run"):
    session[state.WHATIF_REPLAYED] = edits_text
    whatif_view.forget_step(session)
if actions[1].button("Reset", key="whatif_reset", help="back to the original timeline"):
    whatif_view.restart(session, original_table)
    session.pop(state.WHATIF_REPLAYED, None)
    st.rerun()
actions[2].download_button(
    "Export edits (JSON)",
    edits_text,
    f"edits-{user}.json",
    "application/json",
    key="whatif_export",
    disabled=table_problem is not None,
)
if table_problem is not None:
    actions[3].warning(plain(f"The table cannot be replayed yet: {table_problem}"))
else:
    actions[3].caption(f"{len(edits)} edit(s) from the table (rows added at the bottom go in by their time).")
if edits:
    with st.expander(f"The {len(edits)} edit(s), in the order they apply"):
        st.dataframe(whatif_view.edit_rows([e.to_dict() for e in edits]), hide_index=True, width="stretch")

# -- original vs edited -------------------------------------------------------------------------------
replayed = session.get(state.WHATIF_REPLAYED)
if replayed is None:
    st.info("Edit the table, then press **Replay edited** to compare the edited replay with the original.")
    st.stop()
try:
    result = service.whatif(model, timeline, original, model_key, fingerprint, user, replayed, K)
except api.DataError as err:
    st.error(plain(f"Cannot replay these edits: {err}"))
    st.stop()
if replayed != edits_text and table_problem is None:
    st.info("The table has changes that are not replayed yet: press **Replay edited** to see them.")

st.subheader("Original vs edited", divider="gray")
comparison = result.comparison
summary = comparison.summary
per_step = comparison.per_step
first_edit = summary["first_edit"]
hit_a, hit_b = summary["trace_a"]["GNN hit@K"], summary["trace_b"]["GNN hit@K"]
cols = st.columns(5)
cols[0].metric(
    "Stability",
    "n/a" if summary["stability"] is None else f"{summary['stability']:.3f}",
    help="mean over the steps from the first edit on of 1 − RBO of the two lists: 0 = the lists did not move",
)
cols[1].metric("First changed step", "none" if first_edit is None else f"{first_edit:,}")
cols[2].metric("Mean RBO", "n/a" if summary["mean_rbo"] is None else f"{summary['mean_rbo']:.3f}")
cols[3].metric(
    "Mean Jaccard@20", "n/a" if summary["mean_jaccard"] is None else f"{summary['mean_jaccard']:.3f}"
)
cols[4].metric(
    "GNN hit@20 (edited)",
    "n/a" if hit_b is None else f"{hit_b:.3f}",
    delta=None if hit_a is None or hit_b is None else f"{hit_b - hit_a:+.3f} vs original",
)

n_steps = len(per_step)
if state.WHATIF_STEP_SLIDER not in session:
    session[state.WHATIF_STEP_SLIDER] = min(int(session.get(state.WHATIF_STEP, first_edit or 0)), n_steps - 1)


@st.fragment
def step_views() -> None:
    """Everything that follows the shared step: reruns alone while the slider moves."""
    step = st.slider(
        "Step (original timeline; the edited replay at the step aligned to it)",
        0,
        max(n_steps - 1, 1),
        key=state.WHATIF_STEP_SLIDER,
        disabled=n_steps == 1,
    )
    session[state.WHATIF_STEP] = step
    row = per_step.iloc[step]
    partner = int(row["step_b"])

    left_col, right_col = st.columns(2)
    list_a = whatif_view.ranked(original.recs, step)
    list_b = whatif_view.ranked(result.edited.recs, partner) if partner >= 0 else list_a.iloc[0:0]
    shown_a, shown_b, gone = whatif_view.side_by_side(list_a, list_b)
    config = {
        "rank": st.column_config.NumberColumn("#", width="small"),
        "vs": st.column_config.TextColumn("vs", help="▲/▼ rank moved by the edits; enters / leaves"),
        "item_name": st.column_config.TextColumn("item"),
        "category": st.column_config.TextColumn("category", width="small"),
        "score": st.column_config.NumberColumn("score", format="%.3f", width="small"),
    }
    with left_col:
        st.markdown(f"**Original** · step {step}")
        st.text(whatif_view.event_text(original.steps.iloc[step]))
        if len(shown_a):
            st.dataframe(shown_a, hide_index=True, width="stretch", height=420, column_config=config)
        else:
            st.caption("No list at this step: no item the user has not seen is out yet.")
    with right_col:
        if partner >= 0:
            st.markdown(f"**Edited** · step {partner}")
            st.text(whatif_view.event_text(result.edited.steps.iloc[partner]))
            if len(shown_b):
                st.dataframe(shown_b, hide_index=True, width="stretch", height=420, column_config=config)
            else:
                st.caption("No list at this step: no item the user has not seen is out yet.")
        else:
            st.markdown("**Edited**")
            st.warning("This event is deleted in the edited timeline: it has no counterpart.")
    if partner >= 0:
        rbo, jac = row["rbo"], row["jaccard"]
        st.caption(
            f"At this step: RBO {rbo:.3f} · Jaccard@20 {jac:.3f} · state change {row['state_diff']:.4f}"
            + (f" · {len(gone)} item(s) left the list: " if gone else "")
        )
        if gone:
            st.text(", ".join(gone))

    figs = {
        "drift": whatif_figures.drift_overlay(
            original.steps, result.edited.steps, per_step, step, first_edit
        ),
        "overlap": whatif_figures.list_overlap(per_step, step, first_edit),
        "interests": whatif_figures.interest_difference(comparison.interest_diff, n_steps, step, first_edit),
    }
    one, two = st.columns(2)
    one.plotly_chart(figs["drift"], width="stretch", key="whatif_fig_drift")
    two.plotly_chart(figs["overlap"], width="stretch", key="whatif_fig_overlap")
    st.plotly_chart(figs["interests"], width="stretch", key="whatif_fig_interests")


step_views()

movers = st.columns(2)
mover_config = {
    "item_name": st.column_config.TextColumn("item"),
    "item_id": st.column_config.TextColumn("id", width="small"),
    "mean_rank_a": st.column_config.NumberColumn("rank, original", format="%.1f", width="small"),
    "mean_rank_b": st.column_config.NumberColumn("rank, edited", format="%.1f", width="small"),
    "shift": st.column_config.NumberColumn("gain", format="%+.2f", width="small"),
}
for col, name, title in ((movers[0], "gained", "Gained most rank"), (movers[1], "lost", "Lost most rank")):
    rows = pd.DataFrame(summary[name], columns=list(mover_config))
    col.markdown(f"**{title}** (mean rank over the steps from the first edit; absent from a list = {K + 1})")
    col.dataframe(rows, hide_index=True, width="stretch", column_config=mover_config)
