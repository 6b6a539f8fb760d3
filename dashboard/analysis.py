"""Thin cached service of the analyst pages (segments and trends, metrics, models) over engine.api; no UI.

Results are values, cached per data fingerprint, model and settings; nothing here is per visitor.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import jobs, state
from engine import api


@st.cache_data(max_entries=8, show_spinner="Replaying every user and finding segments…")
def segments(
    _model: api.ReplayModel,
    _timeline: api.Timeline,
    model_key: str,
    fingerprint: str,
    at: str | None,
    k: int | None,
) -> api.Segments:
    """Segments of the users by their state at ``at`` (ISO time; None: after every event)."""
    return api.segment_users(_model, _timeline, None if at is None else pd.Timestamp(at), k)


@st.cache_data(max_entries=16, show_spinner="Counting categories per window…")
def trends(
    _timeline: api.Timeline, fingerprint: str, windows: str | int, users: tuple[str, ...] | None
) -> api.Trends:
    return api.category_trends(_timeline, windows, users)


# -- large files ---------------------------------------------------------------------------------------
@st.cache_data(max_entries=4, show_spinner="Summarising the file in parts…")
def file_summary(name: str, _source: str | bytes, key: str) -> api.FileSummary:
    """A large Parquet file's summary (a path or an upload's bytes), read in record batches; ``key``
    (path and modification time, or the upload's id) identifies it for the cache."""
    return api.parquet_summary(_source, name=name)


# -- evaluation ---------------------------------------------------------------------------------------
def evaluation_key(
    fingerprint: str, protocol: str, models: tuple[str, ...], ks: tuple[int, ...], cut: float
) -> str:
    """What an evaluation computed: the data and every setting that changes its numbers."""
    return f"evaluation:{fingerprint}:{protocol}:{','.join(models)}:{','.join(map(str, ks))}:{cut:.3f}"


def finished_evaluation(key: str) -> api.EvaluationTables | None:
    """A finished evaluation of any visitor with these settings, or None."""
    return jobs.results().get(key)


def start_evaluation(
    timeline: api.Timeline, protocol: str, models: tuple[str, ...], ks: tuple[int, ...], cut: float
) -> jobs.Job:
    """This visitor's evaluation in the background (every model retrained on the protocol's training part)."""
    key = evaluation_key(timeline.fingerprint(), protocol, models, ks, cut)

    def work(job: jobs.Job) -> api.EvaluationTables:
        return api.evaluate_models(timeline, protocol, list(models), ks, cut, on_progress=job.report)

    return jobs.start(state.EVAL_JOB, key, f"evaluation ({protocol})", work)


# -- the held-out period, event by event ----------------------------------------------------------------
def heldout_key(model_key: str, fingerprint: str) -> str:
    return f"heldout:{model_key}:{fingerprint}"


def finished_heldout(key: str) -> api.HeldoutRanks | None:
    """Held-out ranks of this model and data computed by any visitor, or None."""
    return jobs.results().get(key)


def start_heldout(model: api.ReplayModel, model_key: str, timeline: api.Timeline) -> jobs.Job:
    """This visitor's replay of every user through the held-out period, in the background."""

    def work(job: jobs.Job) -> api.HeldoutRanks:
        return api.heldout_ranks(model, timeline, on_progress=job.report)

    key = heldout_key(model_key, timeline.fingerprint())
    return jobs.start(state.HELDOUT_JOB, key, "per-step replay of the held-out events", work)


@st.cache_data(max_entries=16, show_spinner=False)
def heldout_curves(_ranks: api.HeldoutRanks, key: str, k: int) -> pd.DataFrame:
    return api.cumulative_hits(_ranks, k)


# -- the model registry ------------------------------------------------------------------------------
def registry() -> api.ModelRegistry:
    return api.model_registry()


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def registered_model(path: str, mtime_ns: int, fingerprint: str, _timeline: api.Timeline) -> api.ReplayModel:
    """A registered checkpoint, loaded once for every visitor (DataError when it cannot replay the data)."""
    return api.load_model(path, _timeline)


@st.cache_data(max_entries=4, show_spinner="Preparing the embeddings…")
def projector_zip(_model: api.ReplayModel, model_key: str) -> bytes:
    """The model's item embeddings in the TensorBoard Projector's format (zip bytes)."""
    return api.projector_zip(_model)


def start_training(timeline: api.Timeline, name: str, cut: float | None, epochs: int) -> jobs.Job:
    """This visitor's training run in the background; registered under ``name`` when it finishes.
    Each finished epoch (loss, validation NDCG) is appended to the job's records for the live curves."""
    store = registry()
    if any(e.name == name.strip() for e in store.entries()):
        raise api.DataError(f"a model named {name.strip()!r} is already registered; choose another name")

    def work(job: jobs.Job) -> api.ModelEntry:
        path = store.checkpoint_path(name)

        def progress(step: api.TrainProgress) -> None:
            if step.record is not None:
                job.records.append({"epoch": step.epoch, **step.record})
            done = (step.epoch - 1 + step.batch / max(step.batches, 1)) / step.epochs
            job.report(
                0.97 * done, f"epoch {step.epoch} (at most {step.epochs}; early stopping may end sooner)"
            )

        try:
            info = api.train_model(timeline, path, cut, progress, epochs=epochs)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return api.register_trained(store, name.strip(), timeline, info)

    return jobs.start(
        state.TRAIN_JOB, f"training:{timeline.fingerprint()}:{name}", f"training {name!r}", work
    )
