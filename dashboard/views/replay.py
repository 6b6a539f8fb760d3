"""Replay: step through one user's timeline and watch the interest graph, drift and recommendations."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import graph_html, replay_figures, service, sidebar, state, step_bridge
from dashboard.model_gate import current_model
from dashboard.replay_view import (
    change_label,
    explain_label,
    explanation_panel,
    explanation_texts,
    export_figure,
    keep_pick,
    move_step,
    safe_name,
    step_caption,
    visible_steps,
)
from dashboard.user_picker import pick_user
from engine import api

st.header("Replay")
timeline = sidebar.current_timeline()
if timeline is None:
    st.stop()

# -- model: trained on first start, then shared by every visitor ------------------------------------
loaded = current_model(timeline)
if loaded is None:
    st.stop()
model, model_key = loaded

# -- user ----------------------------------------------------------------------------------------------
user, _ = pick_user(timeline)

trace = service.trace(model, timeline, model_key, timeline.fingerprint(), user, 20)
steps = trace.steps
last = trace.n_steps - 1
heldout = steps.index[steps["split"] == "heldout"]
cut = int(heldout[0]) if len(heldout) else None
planted = api.planted_drift_steps(timeline.source, user, trace) if timeline.source else []
summary = trace.summary()
trace_key = f"{model_key}:{timeline.fingerprint()}:{user}"

cols = st.columns(6)
cols[0].metric("Events", f"{trace.n_steps:,}")
cols[1].metric("Held out", f"{summary['heldout_steps']:,}", help="events after the model's training end")
cols[2].metric("Judged steps", f"{summary['judged_steps']:,}", help="steps whose next item could be listed")
best = max(("RecentPop", "SeqMarkov", "ItemKNN"), key=lambda n: summary[f"{n} hit@K"] or 0.0)
cols[3].metric("GNN hit@20", f"{(summary['GNN hit@K'] or 0):.2f}")
cols[4].metric(f"{best} hit@20", f"{(summary[f'{best} hit@K'] or 0):.2f}", help="the best baseline here")
cols[5].metric("Change points", len(summary["changepoints"]))

# -- filters and step control ----------------------------------------------------------------------
with st.sidebar:
    st.subheader("Replay filters")
    types = sorted(steps["event_type"].unique())
    chosen = st.multiselect("Event types", types, default=types, key=state.EVENT_TYPES)
    first, final = steps["timestamp"].min().date(), steps["timestamp"].max().date()
    dates = st.date_input("Dates", (first, final), min_value=first, max_value=final, key=state.DATES)
    st.slider("Graph nodes", 20, 200, 60, step=10, key=state.MAX_NODES)
visible = visible_steps(steps, chosen, dates)

if state.STEP not in st.session_state:
    wanted = st.query_params.get("step", "0")
    st.session_state[state.STEP] = min(int(wanted), last) if wanted.isdigit() else 0
st.session_state[state.STEP] = min(int(st.session_state[state.STEP]), last)
playing = st.session_state.get(state.PLAYING, False)

controls = st.columns([1.3, 1.3, 1.3, 5])
controls[0].button("◀ Previous", on_click=move_step, args=(visible, -1), shortcut="left", width="stretch")
controls[1].button("Next ▶", on_click=move_step, args=(visible, 1), shortcut="right", width="stretch")
if controls[2].button("⏸ Pause" if playing else "▶ Play", shortcut="space", width="stretch"):
    st.session_state[state.PLAYING] = not playing
    st.rerun()
controls[3].caption(
    f"{len(visible):,} of {trace.n_steps:,} steps match the filters · keys: ← → step, space play/pause"
    + (f" · training cut before step {cut}: later steps are held out" if cut is not None else "")
)


# drawn once per trace, below the step views: none depends on the step (the bridge marks it in the browser)
figs = service.replay_figures_of(trace, service.item_map(model, model_key), trace_key, tuple(planted), cut)


@st.fragment(run_every=1.0 if playing else None)
def step_views() -> None:
    """Everything that follows the step: reruns alone while scrubbing or playing."""
    if st.session_state.get(state.PLAYING):
        if st.session_state[state.STEP] >= (visible[-1] if visible else last):
            st.session_state[state.PLAYING] = False
        else:
            move_step(visible, 1)
    step = st.slider("Step", 0, max(last, 1), key=state.STEP, disabled=last == 0)
    st.query_params["step"] = str(step)
    row = steps.iloc[step]
    st.markdown(step_caption(row, cut))

    # the graph page and the figures are the same at every step (drawn once per trace): the bridge moves
    # the step on them in the browser, so a step neither reloads the iframe nor redraws a figure
    max_nodes = int(st.session_state.get(state.MAX_NODES, 60))
    payload = service.step_payload(trace, trace_key, step, max_nodes)
    step_bridge.show(payload)
    graph_col, recs_col = st.columns([1, 1])  # the list's score and next marker fit without scrolling
    with graph_col:
        st.iframe(graph_html.graph_page(), height=540)
        st.caption(
            "Interest graph: node size = interest now, colour = category (8 heaviest), red border = new at "
            f"this step; hover an edge for its attention α. {payload['graph']['hidden']} more nodes hidden."
        )
    with recs_col:
        recs = trace.recs[trace.recs["step"] == step]
        listed = recs[recs["status"] != "left"].copy()
        listed["change"] = [
            change_label(status, prev, now)
            for status, prev, now in zip(listed["status"], listed["prev_rank"], listed["rank"], strict=True)
        ]
        listed["next"] = listed["is_next"].map({True: "◎", False: ""})
        st.subheader("Recommendations", divider="gray")
        nxt = row["next_item"]
        if pd.isna(row["hit"]):
            st.caption(
                "The next event cannot be judged here (last step, a repeat, or an item not listed yet)."
            )
        elif bool(row["hit"]):
            st.success(f"The next real event is in the list at rank {int(row['next_rank'])}.")
        else:
            rank = "" if pd.isna(row["next_rank"]) else f" (rank {int(row['next_rank']):,} in the catalogue)"
            st.info(f"The next real event is not in the top 20{rank}.")
        top_score = max(1.0, float(listed["score"].max())) if len(listed) else 1.0
        st.dataframe(
            listed[["rank", "change", "item_name", "category", "score", "next"]],
            hide_index=True,
            height=420,
            width="stretch",
            column_config={
                "rank": st.column_config.NumberColumn("#", width=36),
                "change": st.column_config.TextColumn("change", width=56),
                "item_name": st.column_config.TextColumn("item", width=160),
                "category": st.column_config.TextColumn("category", width=84),
                # the cosine is in [-1, 1] and the graph evidence adds to it: the bar spans the list
                "score": st.column_config.ProgressColumn(
                    "score", min_value=-1.0, max_value=top_score, format="%.3f", width=90
                ),
                "next": st.column_config.TextColumn(
                    "◎", width=36, help="◎ marks the item of the next real event"
                ),
            },
        )
        left = recs[recs["status"] == "left"]
        if len(left):
            st.caption("Left the list: " + ", ".join(left["item_name"].astype(str).head(8)))
        if nxt is not None and not pd.isna(nxt):
            st.caption(f"Next real event: {row['next_item']}")

    st.subheader("Why these items", divider="gray")
    st.caption(
        "Each score splits exactly into the memory of the whole timeline, one part per recent event "
        "(weighted by its attention), a bias, and the graph evidence of the training events: what "
        "followed the last item, co-occurrence with the recent items, recent popularity, popularity in the "
        "categories of the recent events; a graph edge α "
        "shows where the source item links to the listed one."
    )
    # one explanation at a time (ten expanders per step were half the browser's work of a step)
    ranks = dict(zip(listed["item_id"].tolist(), listed["rank"].tolist(), strict=True))
    names = dict(zip(listed["item_id"].tolist(), listed["item_name"].tolist(), strict=True))
    if ranks:
        picked = st.session_state.get(state.EXPLAIN_PICK)
        st.session_state[state.EXPLAIN] = picked if picked in ranks else next(iter(ranks))
        chosen_item = st.selectbox(
            "Explain",
            list(ranks),
            format_func=lambda item: explain_label(ranks[item], names[item]),
            key=state.EXPLAIN,
            on_change=keep_pick,
            help="the top item until you choose one; your choice stays while it is in the list",
            width=460,
        )
        shown_rank = int(ranks[chosen_item])
        explanations = service.step_explanations(trace, trace_key, step)
        text = explanation_texts(explanations, [shown_rank]).get(shown_rank, "No parts.")
        score = float(listed.loc[listed["rank"] == shown_rank, "score"].iloc[0])
        st.container(key="explain_panel").markdown(
            explanation_panel(shown_rank, names[chosen_item], score, text)
        )

    # the export widgets are made only while the expander is open: a closed one costs a step one element
    export = st.expander("Export this step", key=state.EXPORT_OPEN, on_change="rerun")
    if export.open:
        with export:
            export_views(step, listed.drop(columns=["next"]))


def export_views(step: int, listed: pd.DataFrame) -> None:
    """Downloads of the current step: the list as CSV, the trace, a figure with this step marked. Files
    are made when a button is clicked (deferred), and a click does not rerun the page."""
    ex = st.columns(4)
    ex[0].download_button(
        "List as CSV",
        lambda: api.safe_csv(listed),
        f"list-step-{step}.csv",
        "text/csv",
        key="csv",
        on_click="ignore",
    )
    ex[1].download_button(
        "Trace (zip of Parquet)",
        lambda: service.trace_zip(trace, model_key + user),
        f"trace-{safe_name(str(trace.meta['user']))}.zip",
        "application/zip",
        key="zip",
        on_click="ignore",
    )
    name = ex[2].selectbox("Figure", list(figs), key="export_fig")
    kind = ex[3].radio("As", ["HTML", "PNG"], horizontal=True, key="export_kind")
    if kind == "PNG" and not service.png_export_available():
        ex[3].caption("PNG export needs Chromium for kaleido; HTML works everywhere.")
        return
    figure = figs[name]
    traces = replay_figures.trajectory_step(trace.states, steps, step) if name == "trajectory" else None
    ex[3].download_button(
        f"Download {name}.{kind.lower()}",
        lambda: export_figure(replay_figures.at_step(figure, step, traces), kind),
        f"{name}-step-{step}.{kind.lower()}",
        "image/png" if kind == "PNG" else "text/html",
        key="fig_dl",
        on_click="ignore",
    )


step_views()

st.subheader("Over the whole timeline", divider="gray")
st.caption("The current step is the dark line (the star on the trajectory); it follows the step control.")
one, two = st.columns(2)
one.plotly_chart(figs["trajectory"], width="stretch", key="fig_trajectory")
two.plotly_chart(figs["drift"], width="stretch", key="fig_drift")
st.plotly_chart(figs["interests"], width="stretch", key="fig_interests")
three, four = st.columns(2)
three.plotly_chart(figs["hits"], width="stretch", key="fig_hits")
four.plotly_chart(figs["mrr"], width="stretch", key="fig_mrr")
