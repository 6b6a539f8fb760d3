"""Metrics: the GNN against every baseline on a named protocol, full-catalogue ranking, 95% intervals."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, exports, jobs, metrics_view, model_gate, sidebar, state
from engine import api

HELDOUT_METRICS = {"hit_rate": "hit rate", "mrr": "MRR"}
HELDOUT_X = {"event": "held-out event", "timestamp": "time"}
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
    jobs.show(state.EVAL_JOB, key, found is not None)


def show_evaluation(tables: api.EvaluationTables) -> None:
    """The finished evaluation: facts of the split, the tables and figures, each with its download."""
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
        f"Δ: each model minus the best baseline ({tables.reference}, by {tables.headline}), per user, with "
        "the paired 95% interval over the same resamples; ▲ / ▼: the interval excludes 0 (a real difference)."
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
        "coverage: share of the catalogue in anyone's list; novelty: mean self-information of the listed "
        "items (higher = less popular); diversity: share of list pairs from different categories."
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


progress()
if found is None:
    st.caption(
        "Press Run evaluation: every chosen model is trained on the training part and ranks the whole "
        "catalogue (the GNN takes longest). Results are kept for these data and settings."
    )
else:
    show_evaluation(found)

# -- the held-out period, event by event -------------------------------------------------------------
st.subheader("Hits as the held-out events go by", divider="gray")
st.caption(
    "Unlike the evaluation above, this is the model in use (picked in the sidebar), not retrained: each "
    "user's timeline goes through its memory as on the Replay page, and each event after the model's "
    "training end that a list can be judged on (a known item, new to the user) is ranked by the GNN and by "
    "the baselines stored with it. The curves are the running hit@K and MRR@K over those events in time "
    "order."
)
gate = model_gate.current_model(timeline)
if gate is None:
    st.stop()
model, model_key = gate
heldout_key = analysis.heldout_key(model_key, timeline.fingerprint())
ranks = analysis.finished_heldout(heldout_key)
heldout_job = jobs.current(state.HELDOUT_JOB)
heldout_running = heldout_job is not None and heldout_job.running
replay_buttons = st.columns([1.8, 1.2, 4])
if replay_buttons[0].button(
    "Replay the held-out events" if ranks is None else "Replay them again", disabled=heldout_running
):
    heldout_job = analysis.start_heldout(model, model_key, timeline)
    heldout_running = True
if heldout_running and replay_buttons[1].button("Cancel", key="heldout_cancel") and heldout_job is not None:
    heldout_job.cancel.set()


@st.fragment(run_every=1.0 if heldout_running else None)
def heldout_progress() -> None:
    """Polls this visitor's held-out replay; a full rerun shows the curves once it is done."""
    jobs.show(state.HELDOUT_JOB, heldout_key, ranks is not None)


heldout_progress()
if ranks is None:
    st.caption(
        "Press the button to replay every user (in the background; about a minute on the demo data). "
        "The result is kept for this model and data."
    )
    st.stop()

found_ranks: api.HeldoutRanks = ranks
options = st.columns([1, 1.4, 1.6])
curve_k = options[0].selectbox("K", [5, 10, 20, 50], index=2, key=state.HELDOUT_K)
metric = options[1].radio(
    "Metric", list(HELDOUT_METRICS), format_func=HELDOUT_METRICS.__getitem__, horizontal=True,
    key=state.HELDOUT_METRIC,
)  # fmt: skip
x_axis = options[2].radio(
    "Along", list(HELDOUT_X), format_func=HELDOUT_X.__getitem__, horizontal=True, key=state.HELDOUT_X
)
curves = analysis.heldout_curves(found_ranks, heldout_key, int(curve_k))
models = list(found_ranks.models)
heldout_figure = metrics_view.heldout_curves(curves, models, metric, int(curve_k), x_axis)
st.plotly_chart(heldout_figure, width="stretch", key="heldout_curves")
final = curves.groupby("model", sort=False).tail(1).set_index("model").loc[models]
summary = pd.DataFrame(
    {
        "model": models,
        f"hit rate@{curve_k}": final["hit_rate"].round(4).to_numpy(),
        f"MRR@{curve_k}": final["mrr"].round(4).to_numpy(),
    }
)
left, right = st.columns([2, 3])
left.dataframe(summary, hide_index=True, width="stretch", key="heldout_summary")
with left:
    exports.csv_button(summary, f"heldout-at-{curve_k}", "heldout_summary_csv", "Final values as CSV")
    exports.csv_button(curves, f"heldout-curves-at-{curve_k}", "heldout_curves_csv", "Curves as CSV")
right.caption(
    f"{len(found_ranks.events):,} held-out events of {found_ranks.users:,} users, after the model's training "
    f"end ({(found_ranks.trained_until or '–')[:16].replace('T', ' ')} UTC). Early on the curves rest on few "
    "events and move a lot; the last values are the means over the whole held-out period."
)
exports.figure_export({"held-out curves": heldout_figure}, "heldout_fig", "metrics-")
