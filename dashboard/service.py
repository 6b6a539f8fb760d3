"""Thin service between pages and engine.api: caching and upload handling, no UI."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import graph_html, replay_figures
from engine import api


def demo_timeline() -> api.Timeline:
    """The embedded default data (generated on first use), cached per file and modification time."""
    path = api.ensure_default_data()
    return _file_timeline(str(path), path.stat().st_mtime_ns)


# Timelines are immutable: shared as resources (no copy per rerun), like the model.
@st.cache_resource(show_spinner="Loading the demo data…", max_entries=4)
def _file_timeline(path: str, mtime_ns: int) -> api.Timeline:
    return api.load_timeline(path)


@st.cache_resource(show_spinner="Reading your file…", max_entries=4)
def uploaded_timeline(
    name: str, data: bytes, preset: str | None, column_map: str, event_map: str
) -> api.Timeline:
    """Load an uploaded file: written under a temp name with its original suffix (so the format is
    detected), read, and removed at once: the timeline lives in memory, so no session needs the file
    afterwards and nothing a visitor uploaded stays on disk. The name is unique per call, so two sessions
    loading the same bytes never remove each other's file."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "interest-replay-uploads"
    folder.mkdir(exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f"{digest}-", suffix=Path(name).suffix.lower())
    path = Path(temp)
    try:
        with open(handle, "wb") as out:
            out.write(data)
        timeline = api.load_timeline(
            path,
            preset=preset,
            column_map=api.parse_pairs(column_map, "column map"),
            event_map=api.parse_pairs(event_map, "event map"),
        )
    finally:
        path.unlink(missing_ok=True)
    return api.Timeline(timeline.events, timeline.report, name)


@st.cache_data
def overview(_timeline: api.Timeline, key: str) -> api.DatasetOverview:
    """Overview of a timeline; ``key`` (its fingerprint) identifies it for the cache."""
    return api.dataset_overview(_timeline)


# -- models and traces -------------------------------------------------------------------------------
_TRAINING = threading.Lock()  # one training at a time per server: a second visitor waits, then loads


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _model(path: str, mtime_ns: int, fingerprint: str, _timeline: api.Timeline) -> api.ReplayModel:
    return api.load_model(path, _timeline)


def replay_model(
    timeline: api.Timeline, progress: Callable[[float, str], None]
) -> tuple[api.ReplayModel, str | None]:
    """The model for ``timeline``: loaded from disk (shared by every visitor), or trained first on the
    events before the 0.8 quantile of time, reporting ``progress(fraction, text)``. A file that does not
    load is retrained, and the notice says so."""
    path = api.model_path(timeline)
    notice = None
    with _TRAINING:
        if path.exists():
            try:
                return _model(str(path), path.stat().st_mtime_ns, timeline.fingerprint(), timeline), None
            except api.DataError as err:
                notice = f"The saved model could not be used ({err}); it was retrained on this data."
                path.unlink(missing_ok=True)
        _train(timeline, path, progress)
    return _model(str(path), path.stat().st_mtime_ns, timeline.fingerprint(), timeline), notice


def _train(timeline: api.Timeline, path: Path, progress: Callable[[float, str], None]) -> None:
    def report(step: api.TrainProgress) -> None:
        done = (step.epoch - 1 + step.batch / max(step.batches, 1)) / step.epochs
        text = (
            f"Training the model: epoch {step.epoch} (at most {step.epochs}; early stopping may end sooner)"
        )
        if step.record is not None:
            text += f" · validation NDCG@20 {step.record['val_ndcg']:.3f}"
        progress(min(done, 1.0), text)

    api.train_model(timeline, path, api.DEMO_CUT_QUANTILE, report)


@st.cache_data(max_entries=8, show_spinner=False)
def users(_timeline: api.Timeline, fingerprint: str) -> pd.DataFrame:
    return api.user_table(_timeline)


@st.cache_data(max_entries=4, show_spinner="Computing pseudonyms…")
def pseudonyms(user_ids: tuple[str, ...], fingerprint: str) -> dict[str, str]:
    return dict(zip(user_ids, api.pseudonymise(list(user_ids)), strict=True))


@st.cache_data(max_entries=16, show_spinner="Replaying the timeline…")
def trace(
    _model: api.ReplayModel, _timeline: api.Timeline, model_key: str, fingerprint: str, user: str, k: int
) -> api.Trace:
    return api.replay_user(_model, _timeline, user, k=k)


@st.cache_data(max_entries=16, show_spinner=False)
def positions(_trace: api.Trace, key: str) -> dict[str, tuple[float, float]]:
    """Fixed node positions for a trace's whole graph, so the picture never jumps between steps."""
    return graph_html.layout(_trace.nodes, _trace.edges)


@st.cache_data(max_entries=4, show_spinner=False)
def item_map(_model: api.ReplayModel, model_key: str) -> pd.DataFrame:
    return api.item_map(_model)


# Shared, never mutated: a page shows them as they are, and exports copy them (replay_figures.at_step).
@st.cache_resource(max_entries=16, show_spinner=False)
def replay_figures_of(
    _trace: api.Trace, _items: pd.DataFrame, key: str, planted: tuple[int, ...], cut: int | None
) -> dict[str, go.Figure]:
    """The Replay figures of a trace, drawn once (none depends on the step): ``key`` names the trace."""
    steps, figures = _trace.steps, replay_figures
    return {
        "trajectory": figures.trajectory(_trace.states, steps, _items, list(planted)),
        "drift": figures.drift(steps, cut, list(planted)),
        "interests": figures.interest_heatmap(_trace.interests, cut),
        "hits": figures.running_hits(steps, cut, "hit"),
        "mrr": figures.running_hits(steps, cut, "rr"),
    }


def step_payload(trace: api.Trace, key: str, step: int, max_nodes: int) -> dict[str, Any]:
    """What the browser needs to show ``step`` on the views drawn once per trace (see
    :mod:`dashboard.step_bridge`): the graph's nodes and edges, the step line of each chart and the
    trajectory's step traces. ``key`` names the trace."""
    view = api.graph_view(trace, step, max_nodes)
    interests = trace.interests[trace.interests["step"] == step].set_index("category")["strength"]
    where = positions(trace, key)
    graph = graph_html.step_graph(view.nodes, view.edges, where, graph_html.category_colours(interests))
    line = {"x": step}
    return {
        "stamp": f"{key}:{step}:{max_nodes}",
        "step": step,
        "graph": {**graph, "trace": key, "step": step, "hidden": view.hidden},
        "charts": {
            "fig_trajectory": replay_figures.trajectory_mark(trace.states, trace.steps, step),
            "fig_drift": line,
            "fig_interests": line,
            "fig_hits": line,
            "fig_mrr": line,
        },
    }


@st.cache_resource(max_entries=16, show_spinner=False)
def _explanations_by_step(_trace: api.Trace, key: str) -> dict[int, pd.DataFrame]:
    groups = _trace.explanations.groupby("step", sort=False)
    return {int(cast(int, step)): rows for step, rows in groups}


def step_explanations(trace: api.Trace, key: str, step: int) -> pd.DataFrame:
    """The explanation rows of one step (split once per trace: a step never scans the whole table)."""
    return _explanations_by_step(trace, key).get(step, trace.explanations.iloc[:0])


@st.cache_data(max_entries=16, show_spinner="Preparing the export…")
def trace_zip(_trace: api.Trace, key: str) -> bytes:
    return api.trace_zip(_trace)


@st.cache_resource(show_spinner="Checking PNG export…")
def png_export_available() -> bool:
    """Whether kaleido can render (it drives a local Chrome/Chromium); checked once per server."""
    import plotly.graph_objects as go

    try:
        go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).to_image(format="png", width=50, height=50)
    except Exception:  # no browser for kaleido: HTML export still works
        return False
    return True


# -- what-if -----------------------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner=False)
def catalogue(
    _model: api.ReplayModel, _timeline: api.Timeline, model_key: str, fingerprint: str
) -> pd.DataFrame:
    return api.catalogue(_model, _timeline)


@st.cache_data(max_entries=16, show_spinner="Replaying the edited timeline…")
def whatif(
    _model: api.ReplayModel,
    _timeline: api.Timeline,
    _original: api.Trace,
    model_key: str,
    fingerprint: str,
    user: str,
    edits_json: str,
    k: int,
) -> api.WhatIf:
    """The edited replay and its comparison with ``_original`` (the cached trace of the same user)."""
    return api.whatif(_model, _timeline, user, api.parse_edits(edits_json), k=k, original=_original)
