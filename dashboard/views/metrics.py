"""Metrics: the GNN against every baseline on a named protocol, full-catalogue ranking, 95% intervals."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, exports, jobs, metrics_view, sidebar, state
from dashboard.replay_view import plain
from engine import api

PROTOCOLS = {
    "time": "time — a global cut in time (the headline)",
    "loo": "loo — each user's last event held out",
    "stream": "stream — every event after the cut, predicted from all before it",
}

st.header("Metrics")
timeline = sidebar.current_timeline()
if timeline is None:
    st.stop()
st.info(
    "Every model here, the GNN included, is **retrained on the protocol's training part only** and ranks "
    "the full catalogue for its test users. The model the other pages serve has seen all the data it was "
    "trained on, held-out events of these protocols included, so it is not the one measured here.",
    icon=":material/science:",
)

available = api.evaluation_models()
with st.container(border=True):
    top = st.columns([2, 3, 1.2, 1.4])
    protocol = top[0].radio(
        "Protocol", list(PROTOCOLS), format_func=PROTOCOLS.__getitem__, key=state.EVAL_PROTOCOL
    )
    models = top[1].multiselect("Models", available, default=available, key=state.EVAL_MODELS)
    ks = top[2].multiselect("K", [5, 10, 20, 50], default=[10, 20], key=state.EVAL_KS)
    cut = top[3].slider(
        "Time cut (quantile)",
        0.5,
        0.95,
        0.9,
        step=0.05,
        key=state.EVAL_CUT,
        disabled=protocol == "loo",
        help="time and stream protocols: training = events before this quantile of time",
    )
if not models or not ks:
    st.warning("Choose at least one model and one K.")
    st.stop()
ordered = tuple(m for m in available if m in models)
k_values = tuple(sorted(ks))
cut_used = cut if protocol != "loo" else 0.0
key = analysis.evaluation_key(timeline.fingerprint(), protocol, ordered, k_values, cut_used)
found = analysis.finished_evaluation(key)

job = jobs.current(state.EVAL_JOB)
buttons = st.columns([1.4, 1.2, 5])
if buttons[0].button(
    "Run evaluation" if found is None else "Run again",
    type="primary",
    disabled=job is not None and job.running,
):
    job = analysis.start_evaluation(timeline, protocol, ordered, k_values, cut_used)
if job is not None and job.running and buttons[1].button("Cancel"):
    job.cancel.set()


@st.fragment(run_every=1.0 if job is not None and job.running else None)
def progress() -> None:
    """Polls this visitor's evaluation; a full rerun shows the results once it is done."""
    current = jobs.current(state.EVAL_JOB)
    if current is None:
        return
    if current.running:
        st.progress(current.progress, text=f"{current.label}: {current.text} · {current.seconds:.0f} s")
        return
    if current.key == key and current.result is not None and found is None:
        st.rerun()  # the results just arrived
    if current.cancelled:
        st.caption(f"The {current.label} was cancelled after {current.seconds:.0f} s.")
    elif current.error:
        st.error(f"The {current.label} failed: {plain(current.error)}")


progress()
if found is None:
    st.caption(
        "Press Run evaluation: every chosen model is trained on the training part and ranks the whole "
        "catalogue (the GNN takes longest). Results are kept for these data and settings."
    )
    st.stop()

tables: api.EvaluationTables = found
split = tables.split
st.subheader(f"Protocol {tables.protocol}", divider="gray")
facts = st.columns(4)
facts[0].metric("Test users", f"{split['test_users']:,}")
facts[1].metric("Targets", f"{split['targets']:,}")
facts[2].metric("Items ranked", f"{split['catalogue']:,}", help="the full catalogue, no sampling")
facts[3].metric("Training events", f"{split['train_events']:,}")
if split.get("cut"):
    st.caption(f"Training: the events before {split['cut'][:16].replace('T', ' ')} UTC; test: the rest.")

headline_metric, headline_k = tables.headline.split("@")
for k in tables.ks:
    st.markdown(f"**Accuracy at K = {k}** (mean [95% bootstrap interval over users])")
    table = metrics_view.metric_table(
        tables.metrics,
        tables.deltas,
        tables.models,
        k,
        metrics_view.ACCURACY,
        tables.reference,
        headline_metric,
    )
    st.dataframe(table, hide_index=True, width="stretch", key=f"eval_table_{k}")
    exports.csv_button(table, f"accuracy-{tables.protocol}-at-{k}", f"eval_table_{k}_csv")
st.caption(
    f"Δ: each model minus the best baseline ({tables.reference}, by {tables.headline}), per user, with the "
    "paired 95% interval over the same resamples; ▲ / ▼: the interval excludes 0 (a real difference)."
)

left, right = st.columns(2)
figures = {"hit rate by list position": metrics_view.hit_curves(tables.hit_curves, tables.models)}
left.plotly_chart(figures["hit rate by list position"], width="stretch", key="eval_hits")
if tables.reference is not None:
    figures["difference from the best baseline"] = metrics_view.delta_forest(
        tables.deltas, tables.models, headline_metric, int(headline_k), tables.reference
    )
    right.plotly_chart(figures["difference from the best baseline"], width="stretch", key="eval_forest")
exports.figure_export(figures, "eval_fig", f"metrics-{tables.protocol}-")

st.markdown(f"**Beyond accuracy at K = {max(tables.ks)}**")
beyond = metrics_view.metric_table(
    tables.metrics, tables.deltas, tables.models, max(tables.ks), metrics_view.BEYOND
)
st.dataframe(beyond, hide_index=True, width="stretch", key="eval_beyond")
exports.csv_button(beyond, f"beyond-accuracy-{tables.protocol}", "eval_beyond_csv")
st.caption(
    "coverage: share of the catalogue in anyone's list; novelty: mean self-information of the listed items "
    "(higher = less popular); diversity: share of list pairs from different categories."
)
with st.expander("Notes and timings"):
    for note in tables.notes:
        st.markdown(f"- {note}")
    st.dataframe(tables.seconds.round(2), hide_index=True)
    exports.csv_button(tables.seconds, f"timings-{tables.protocol}", "eval_seconds_csv")
st.download_button(
    "All metrics as CSV",
    api.safe_csv(tables.metrics),
    f"metrics-{tables.protocol}.csv",
    "text/csv",
    key="eval_csv",
)
