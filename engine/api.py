"""The typed façade the dashboard talks to: plain Python, numpy and pandas out, never tensors.

Nothing here does work at import time; torch is only imported by the functions that need a model.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.data.errors import DataError
from engine.data.load import PRESETS, ReadOptions, load_events, parse_pairs
from engine.data.presets import attribution
from engine.data.timeline import Timeline
from engine.replay.config import ReplayConfig
from engine.replay.export import safe_csv, trace_zip
from engine.replay.graph_view import GraphView, graph_view
from engine.replay.trace import Trace, iso_utc
from engine.replay.users import UserPage, user_page, user_table
from engine.whatif import Comparison, Edit, apply_edits, edits_to_json, parse_edits
from engine.whatif.table import edits_from_table, timeline_table

if TYPE_CHECKING:  # torch-backed: imported only by the functions that need a model
    from engine.data.summary import FileSummary
    from engine.evaluation.tables import EvaluationTables
    from engine.replay.heldout import HeldoutRanks
    from engine.replay.model import ReplayModel
    from engine.segments.segments import Segments
    from engine.segments.trends import Trends
    from engine.training.registry import ModelEntry, ModelRegistry
    from engine.training.trainer import TrainProgress

__all__ = [
    "EVAL_PROTOCOLS",
    "LARGE_PARQUET_ROWS",
    "PRESETS",
    "Comparison",
    "DataError",
    "DatasetOverview",
    "Edit",
    "EvaluationTables",
    "FileSummary",
    "GraphView",
    "HeldoutRanks",
    "ModelEntry",
    "ModelRegistry",
    "ReplayConfig",
    "ReplayModel",
    "Segments",
    "Timeline",
    "Trace",
    "TrainProgress",
    "TrainedModelInfo",
    "Trends",
    "UserPage",
    "WhatIf",
    "attribution",
    "catalogue",
    "category_trends",
    "cumulative_hits",
    "dataset_overview",
    "default_data_path",
    "edited_table",
    "edits_from_table",
    "edits_json",
    "ensure_default_data",
    "evaluate_models",
    "evaluation_models",
    "graph_view",
    "heldout_ranks",
    "is_large_parquet",
    "item_map",
    "list_users",
    "load_model",
    "load_timeline",
    "load_trace",
    "model_info",
    "model_path",
    "model_registry",
    "parquet_rows",
    "parquet_summary",
    "parquet_trends",
    "parse_edits",
    "parse_pairs",
    "planted_drift_steps",
    "projector_zip",
    "pseudonymise",
    "register_trained",
    "register_upload",
    "replay_user",
    "safe_csv",
    "seed_example",
    "segment_state_table",
    "segment_users",
    "timeline_table",
    "trace_zip",
    "train_model",
    "training_recipe",
    "user_table",
    "whatif",
    "write_user_states",
]

DEFAULT_SEED = 7  # the seed `make demo` generates the embedded default data with
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_data_path() -> Path:
    """Where the embedded default data lives: $INTEREST_REPLAY_DATA or <repo>/data/default/events.parquet."""
    override = os.environ.get("INTEREST_REPLAY_DATA")
    return Path(override) if override else REPO_ROOT / "data" / "default" / "events.parquet"


def ensure_default_data(path: Path | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Generate the synthetic default data (with its ground truth beside it) if it is not there yet."""
    path = path or default_data_path()
    if not path.exists():
        from engine.data.synthetic import SyntheticConfig, generate
        from engine.data.writer import save_events, save_truth

        path.parent.mkdir(parents=True, exist_ok=True)
        timeline, truth = generate(SyntheticConfig(seed=seed))
        save_events(timeline, path)
        save_truth(truth, path.with_name(f"{path.stem}.truth.json"))
    return path


def load_timeline(
    path: str | Path,
    preset: str | None = None,
    column_map: dict[str, str] | None = None,
    event_map: dict[str, str] | None = None,
    strict: bool = False,
) -> Timeline:
    """Load and validate an events file; raises DataError naming file, row and column."""
    options = ReadOptions(
        preset=preset, column_map=column_map or {}, event_map=event_map or {}, strict=strict
    )
    return load_events(path, options)


@dataclass(frozen=True)
class DatasetOverview:
    """What the data page shows about a timeline, as plain data."""

    summary: dict[str, Any]  # Timeline.summary(): counts, event types, time span
    report: dict[str, Any]  # ValidationReport.to_dict()
    report_text: str
    daily: pd.DataFrame  # columns: day (datetime), event_type (str), events (int)
    top_categories: pd.DataFrame  # columns: category, events, users, items
    events_per_user: pd.Series  # events per user, for a distribution plot


def dataset_overview(timeline: Timeline, top: int = 15) -> DatasetOverview:
    ev = timeline.events
    daily = (
        ev.assign(day=ev["timestamp"].dt.floor("D"), event_type=ev["event_type"].astype(str))
        .groupby(["day", "event_type"], observed=True)
        .size()
        .rename("events")
        .reset_index()
    )
    cats = ev.dropna(subset=["category"])
    top_categories = (
        cats.groupby("category")
        .agg(events=("item_id", "size"), users=("user_id", "nunique"), items=("item_id", "nunique"))
        .sort_values("events", ascending=False)
        .head(top)
        .reset_index()
    )
    return DatasetOverview(
        summary=timeline.summary(),
        report=timeline.report.to_dict(),
        report_text=timeline.report.to_text(),
        daily=daily,
        top_categories=top_categories,
        events_per_user=ev.groupby("user_id").size().rename("events"),
    )


# -- the model registry ------------------------------------------------------------------------------
def model_registry(folder: str | Path | None = None) -> ModelRegistry:
    """The registry of trained models (default: ``models/`` beside the default data)."""
    from engine.training.registry import ModelRegistry

    return ModelRegistry(folder or default_data_path().parent / "models")


def register_trained(
    registry: ModelRegistry, name: str, timeline: Timeline, info: TrainedModelInfo
) -> ModelEntry:
    """Add a model :func:`train_model` just wrote (into ``registry.checkpoint_path(name)``) under ``name``."""
    from engine.model.checkpoint import Checkpoint
    from engine.training.registry import ModelEntry, now_iso

    checkpoint = Checkpoint.load(info.path)
    scores = [r["val_ndcg"] for r in checkpoint.history or [] if r.get("val_ndcg") is not None]
    return registry.add(
        ModelEntry(
            name=name,
            file=Path(info.path).name,
            data_fingerprint=timeline.fingerprint(),
            created=now_iso(),
            source="trained",
            events=info.events,
            val_ndcg=max(scores) if scores else None,
            trained_until=info.trained_until,
            config={"model": checkpoint.model.config.to_dict(), "train": dict(checkpoint.train_config or {})},
        )
    )


def register_upload(registry: ModelRegistry, name: str, data: bytes, timeline: Timeline) -> ModelEntry:
    """Register an uploaded checkpoint file: read as plain tensors only (``weights_only=True``, never
    unpickled); DataError when it is not a checkpoint or was trained on other data than ``timeline``."""
    from engine.model.checkpoint import Checkpoint
    from engine.training.registry import ModelEntry, now_iso

    path = registry.checkpoint_path(name)
    path.write_bytes(data)
    try:
        checkpoint = Checkpoint.load(path)
        checkpoint.check_compatible(timeline, name)
    except DataError as err:
        path.unlink(missing_ok=True)
        raise DataError(err.reason, path=name) from None  # the upload's name, not the temp file
    scores = [r["val_ndcg"] for r in checkpoint.history or [] if r.get("val_ndcg") is not None]
    try:
        return registry.add(
            ModelEntry(
                name=name,
                file=path.name,
                data_fingerprint=checkpoint.fingerprint,
                created=now_iso(),
                source="uploaded",
                val_ndcg=max(scores) if scores else None,
                trained_until=iso_utc(checkpoint.trained_until),
                config={"model": checkpoint.model.config.to_dict()},
            )
        )
    except DataError:
        path.unlink(missing_ok=True)
        raise


# -- the seed example ------------------------------------------------------------------------------
def seed_example(alpha_book: float = 0.5, w_diag: Sequence[float] = (1.0, 1.0, 1.0)) -> dict[str, Any]:
    """The article's worked example (book, movie, sport) through ``InterestConv`` itself: attention
    ``alpha_book`` on book and ``1 - alpha_book`` on movie, ``W = diag(w_diag)``, ReLU; plain lists out
    (see :func:`engine.model.seed_example.seed_example`)."""
    from engine.model.seed_example import seed_example as compute

    return compute(alpha_book, w_diag)


# Above this many events the Data page summarises a Parquet file in record batches (parquet_summary)
# instead of loading it (load_timeline + dataset_overview). benchmarks/results/parquet_summary.md, 10M
# events: batches 6.1 s at 0.7 GB peak, loading 31.7 s at 3.3 GB; parquet_summary_2m.md, 2M events:
# 2.1 s / 0.4 GB against 5.4 s / 0.8 GB. Below 2M loading costs a few seconds and under 1 GB and gives the
# validation report too; above it the cost grows past what a shared server should spend on a first look.
LARGE_PARQUET_ROWS = 2_000_000


def parquet_rows(source: str | Path | bytes) -> int | None:
    """Events in a Parquet file (a path or an upload's bytes) from its footer alone; None when the source
    is not Parquet (by its suffix, or bytes without the Parquet magic)."""
    from engine.data.summary import parquet_rows as count

    if isinstance(source, bytes):
        if not (source[:4] == b"PAR1" and source[-4:] == b"PAR1"):
            return None
    elif Path(source).suffix.lower() != ".parquet":
        return None
    return count(source)


def is_large_parquet(source: str | Path | bytes) -> bool:
    """Whether the page should summarise ``source`` in parts: Parquet with over LARGE_PARQUET_ROWS events."""
    rows = parquet_rows(source)
    return rows is not None and rows > LARGE_PARQUET_ROWS


def parquet_summary(source: str | Path | bytes, top: int = 15, name: str | None = None) -> FileSummary:
    """:func:`dataset_overview`'s counts for a Parquet file too big to load (a path, or an upload's bytes
    named ``name``), read in record batches with pyarrow (generated layout; not validated). See
    :mod:`engine.data.summary`."""
    from engine.data.summary import parquet_summary as compute

    return compute(source, top, name=name)


# -- models ----------------------------------------------------------------------------------------
DEMO_CUT_QUANTILE = (
    0.8  # the demo model learns from events before this quantile of time; the rest is held out
)


# torch threads for a fit started from the app or the API (0: torch's default). One: the app's server and
# the browser share the machine's cores with it, and the memory's many small GRU steps wait on a
# descheduled second thread: the demo model took 91 s with 1 thread and 245 s with 2 on 2 cores while one
# other process ran (benchmarks/results/gnn_speed.md)
TRAIN_THREADS = 1


@dataclass(frozen=True)
class TrainedModelInfo:
    """What a training run produced, as plain data: where the checkpoint is and how training went."""

    path: Path
    history: pd.DataFrame  # epoch, loss, val_ndcg, seconds
    trained_until: str | None  # ISO time of the last training event
    events: int  # training events
    seconds: float  # wall time of the fit


def train_model(
    timeline: Timeline,
    out: str | Path,
    until_quantile: float | None = None,
    on_progress: Callable[[TrainProgress], None] | None = None,
    seed: int = 0,
    epochs: int | None = None,
    threads: int = TRAIN_THREADS,
) -> TrainedModelInfo:
    """Train the GNN with default settings on ``timeline`` (only events before ``until_quantile`` of its
    time when given, so later events are held out) and save the checkpoint to ``out``. ``epochs`` caps
    the epochs (default: the training config's, with early stopping)."""
    import time

    import numpy as np

    from engine.recommenders.gnn import GNNRecommender
    from engine.training.config import TrainConfig

    train = timeline
    if until_quantile is not None:
        seconds = timeline.seconds()
        train = timeline.subset(seconds < np.quantile(seconds, until_quantile))
    if len(train) == 0:
        raise DataError("no events to train on", path=timeline.source)
    started = time.perf_counter()
    config = TrainConfig(progress=False, seed=seed, threads=threads)
    if epochs is not None:
        config = replace(config, epochs=epochs, min_epochs=min(config.min_epochs, epochs))
    recommender = GNNRecommender(train_config=config)
    recommender.on_progress = on_progress
    recommender.fit(train)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recommender.save(out)
    history = pd.DataFrame(recommender.checkpoint.history if recommender.checkpoint else [])
    return TrainedModelInfo(
        path=out,
        history=history,
        trained_until=train.events["timestamp"].max().isoformat(),
        events=len(train),
        seconds=time.perf_counter() - started,
    )


def load_model(path: str | Path, timeline: Timeline | None = None, device: str = "auto") -> ReplayModel:
    """A checkpoint prepared for replay (read as plain tensors, never unpickled); immutable and shared.
    With ``timeline``: DataError unless the model can replay it (most events on items it knows)."""
    from engine.replay.model import load_replay_model

    model = load_replay_model(path, device)
    if timeline is not None:
        model.checkpoint.check_compatible(timeline, path)
    return model


def model_info(model: ReplayModel) -> dict[str, Any]:
    """Plain facts about a loaded model for display."""
    ckpt = model.checkpoint
    return {
        "path": model.path,
        "fingerprint": model.fingerprint,
        "items": model.n_items,
        "categories": len(ckpt.vocab.categories),
        "trained_until": iso_utc(model.trained_until),
        "model_config": ckpt.model.config.to_dict(),
        "history": list(ckpt.history or []),
        "device": str(model.device),
    }


def projector_zip(model: ReplayModel) -> bytes:
    """The model's item embeddings for the TensorBoard Embedding Projector: a zip of ``vectors.tsv`` (one
    row of ``d`` values per catalogue item) and ``metadata.tsv`` (header ``item_id``, ``name``,
    ``category``; tabs and line breaks in names replaced by spaces). See :mod:`engine.replay.projector`."""
    from engine.replay.projector import projector_zip as build

    return build(model)


# bump when a change to the training code alters what a default fit learns without changing a default
# setting (settings are hashed by training_recipe already), so saved dashboard models are retrained
# (2: a session mix beside the returning one)
RECIPE_REVISION = 2


def training_recipe() -> str:
    """A short hash of what ``train_model`` trains with by default (model, training and graph settings,
    the demo's cut, ``RECIPE_REVISION``): a saved model made with other settings is not reused."""
    import hashlib
    import json
    from dataclasses import asdict

    from engine.graph.config import GraphConfig
    from engine.model.config import ModelConfig
    from engine.training.config import TrainConfig

    train = asdict(TrainConfig())
    for machine_only in ("device", "progress", "threads"):  # where it runs, not what it learns
        train.pop(machine_only, None)
    recipe = {
        "model": ModelConfig().to_dict(),
        "train": train,
        "graph": asdict(GraphConfig()),
        "cut": DEMO_CUT_QUANTILE,
        "revision": RECIPE_REVISION,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()[:10]


def model_path(timeline: Timeline, data_path: Path | None = None) -> Path:
    """Where the model for ``timeline`` is kept: $INTEREST_REPLAY_MODEL when set (tests pass a tiny
    checkpoint this way), beside the default data for the demo (``events.model-<recipe>.pt``), else
    under ``models/<data fingerprint>-<recipe>.pt`` beside the default data. The recipe
    (:func:`training_recipe`) changes with the default settings, so a model saved by an older version
    is not reused: the dashboard trains the current defaults once instead."""
    override = os.environ.get("INTEREST_REPLAY_MODEL")
    if override:
        return Path(override)
    default = data_path or default_data_path()
    recipe = training_recipe()
    if timeline.source == str(default):
        return default.with_name(f"{default.stem}.model-{recipe}.pt")
    return default.parent / "models" / f"{timeline.fingerprint()}-{recipe}.pt"


# -- evaluation --------------------------------------------------------------------------------------
EVAL_PROTOCOLS = ("time", "loo", "stream")  # engine.evaluation.PROTOCOLS, without importing the evaluator


def evaluation_models() -> list[str]:
    """Every model an evaluation can compare: the baselines, simplest first, then the GNN."""
    from engine.recommenders.registry import available_models

    return available_models()


def evaluate_models(
    timeline: Timeline,
    protocol: str = "time",
    models: str | Sequence[str] = "all",
    ks: Sequence[int] = (10, 20),
    cut: float = 0.9,
    seed: int = 0,
    replicates: int = 1000,
    on_progress: Callable[[float, str], None] | None = None,
) -> EvaluationTables:
    """The ``evaluate`` command's comparison as plain tables: split ``timeline`` by ``protocol`` ("time":
    a global cut at the ``cut`` quantile of time; "loo": each user's last event; "stream": the same cut,
    then every later event predicted from all events before it, at most 20,000 of them), fit every model
    (the GNN and every baseline by default) on the training part only, rank the full catalogue, and
    report each metric with its 95% bootstrap interval, every model's paired difference from the best
    baseline, and the cumulative hit rate by list position. ``on_progress(fraction, text)`` follows the
    fits (the GNN's epochs too) and the ranking; an exception it raises cancels the run."""
    from engine.evaluation import EvalConfig, evaluate, make_split
    from engine.evaluation.tables import report_tables
    from engine.recommenders.registry import UnknownModelError, create_model, resolve_models

    if protocol not in EVAL_PROTOCOLS:
        raise DataError(f"unknown protocol {protocol!r}; choose from {', '.join(EVAL_PROTOCOLS)}")
    try:
        names = resolve_models(models)
    except UnknownModelError as err:
        raise DataError(str(err)) from None
    split = make_split(timeline, protocol, quantile=cut)
    share = 1.0 / len(names)  # of the bar per model: 90% fitting, 10% ranking
    state = {"index": 0}

    def report(fraction_of_model: float, text: str) -> None:
        if on_progress is not None:
            on_progress(min((state["index"] + fraction_of_model) * share, 1.0), text)

    def factory(index: int, name: str) -> Any:
        def build() -> Any:
            state["index"] = index
            model = create_model(name, seed=seed)
            if hasattr(model, "on_progress"):  # the GNN reports its epochs and batches

                def fitting(step: TrainProgress) -> None:
                    done = (step.epoch - 1 + step.batch / max(step.batches, 1)) / step.epochs
                    report(
                        0.9 * min(done, 1.0), f"fitting {name}: epoch {step.epoch} (at most {step.epochs})"
                    )

                model.on_progress = fitting
            report(0.0, f"fitting {name}")
            return model

        return build

    def ranking(text: str, done: int, total: int) -> None:
        if text.startswith("ranking"):
            ranked = done - state["index"] * split.n_rows
            report(0.9 + 0.1 * ranked / max(split.n_rows, 1), text)

    config = EvalConfig(ks=tuple(sorted(set(ks))), replicates=replicates, seed=seed)
    factories = {name: factory(i, name) for i, name in enumerate(names)}
    result = evaluate(split, factories, config, progress=False, on_progress=ranking)
    return report_tables(result)


def heldout_ranks(
    model: ReplayModel, timeline: Timeline, on_progress: Callable[[float, str], None] | None = None
) -> HeldoutRanks:
    """Every held-out event of ``timeline`` (after the model's training end) that Replay would judge,
    in time order, with its full-catalogue rank for the model and each baseline: every user replayed
    through the memory as the Replay page does (no retraining). ``on_progress(fraction, text)`` per user;
    an exception it raises stops the work. See :mod:`engine.replay.heldout`."""
    from engine.replay.heldout import heldout_ranks as compute

    return compute(model, timeline, on_progress=on_progress)


def cumulative_hits(ranks: HeldoutRanks, k: int = 20) -> pd.DataFrame:
    """Cumulative hit@K and MRR@K as the held-out events go by: ``event``, ``timestamp``, ``model``,
    ``hit_rate``, ``mrr`` (the running means over the events so far)."""
    from engine.replay.heldout import cumulative_hits as compute

    return compute(ranks, k)


# -- segments and trends ------------------------------------------------------------------------------
def segment_users(
    model: ReplayModel,
    timeline: Timeline,
    at: pd.Timestamp | None = None,
    k: int | None = None,
    seed: int = 0,
) -> Segments:
    """Users clustered by their state after their events up to ``at`` (k-means on the state directions,
    k by silhouette over 2-10 unless given); each segment with its size and top categories, every user and
    centre in the shared 2-D plane. See :mod:`engine.segments`."""
    from engine.segments.cluster import SegmentConfig
    from engine.segments.segments import segment_users as compute

    return compute(model, timeline, at, SegmentConfig(k=k, seed=seed))


def write_user_states(
    model: ReplayModel, timeline: Timeline, out: str | Path, at: pd.Timestamp | None = None
) -> Path:
    """Every user's state at ``at`` as a Parquet state table (``user_id``, ``state``)."""
    from engine.segments.states import user_states, write_states

    return write_states(user_states(model, timeline, at), out)


def segment_state_table(
    model: ReplayModel, path: str | Path, k: int | None = None, seed: int = 0
) -> Segments:
    """:func:`segment_users` from a Parquet state table, read in batches (no events needed)."""
    from engine.segments.cluster import SegmentConfig
    from engine.segments.segments import segment_state_table as compute

    return compute(model, path, SegmentConfig(k=k, seed=seed))


def category_trends(
    timeline: Timeline, windows: str | int = "W", users: Collection[str] | None = None
) -> Trends:
    """Each category's share of the events per window (weekly, or ``windows`` equal windows) and its
    slope over the windows: rising and fading categories, for ``users`` only when given."""
    from engine.segments.trends import category_trends as compute

    return compute(timeline.events, windows, users)


def parquet_trends(
    path: str | Path, windows: str | int = "W", users: Collection[str] | None = None
) -> Trends:
    """:func:`category_trends` of a generated-layout events Parquet file, counted in record batches."""
    from engine.segments.trends import parquet_trends as compute

    return compute(path, windows, users)


# -- replay ----------------------------------------------------------------------------------------
def list_users(table: pd.DataFrame, search: str = "", page: int = 0, page_size: int = 50) -> UserPage:
    """One page of a :func:`user_table` (users by events, most first), filtered by an id substring."""
    return user_page(table, search, page, page_size)


def replay_user(
    model: ReplayModel,
    timeline: Timeline,
    user: str,
    k: int = 20,
    pseudonymise: bool = False,
    key_folder: Path | None = None,
) -> Trace:
    """The per-step trace of one user (see :mod:`engine.replay`); only reads ``model``."""
    from engine.replay.replay import replay

    key = _pseudonym_key(key_folder) if pseudonymise else None
    return replay(model, timeline, user, ReplayConfig(k=k), pseudonym_key=key)


def pseudonymise(users: list[str], key_folder: Path | None = None) -> list[str]:
    """Keyed pseudonyms for user ids (stable per installation; not reversible without the key)."""
    from engine.replay.pseudonym import pseudonym

    key = _pseudonym_key(key_folder)
    return [pseudonym(u, key) for u in users]


def load_trace(path: str | Path) -> Trace:
    return Trace.load(path)


def _pseudonym_key(folder: Path | None) -> bytes:
    from engine.replay.pseudonym import pseudonym_key

    return pseudonym_key(folder or default_data_path().parent)


def item_map(model: ReplayModel, max_points: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Items in the shared 2-D plane (x, y, category), a seeded sample of at most ``max_points``."""
    import numpy as np

    frame = pd.DataFrame(
        {"x": model.item_xy[:, 0], "y": model.item_xy[:, 1], "category": list(model.categories)}
    )
    frame["category"] = frame["category"].replace("", "(no category)")
    if len(frame) > max_points:
        rows = np.random.default_rng(seed).choice(len(frame), max_points, replace=False)
        frame = frame.iloc[np.sort(rows)]
    return frame.reset_index(drop=True)


def planted_drift_steps(data_path: str | Path, user: str, trace: Trace) -> list[int]:
    """Steps of ``trace`` at which the generator planted a drift for ``user`` (first step at or after each
    drift time), read from the ``<data>.truth.json`` beside generated data; [] when there is none."""
    from engine.data.writer import load_truth

    path = Path(data_path)
    truth_path = path.with_name(f"{path.stem}.truth.json")
    if not truth_path.exists():
        return []
    truth = load_truth(truth_path).users.get(str(user))
    if truth is None or not truth.drifts:
        return []
    times = trace.steps["timestamp"]
    out = []
    for point in truth.drifts:
        after = trace.steps.loc[times >= pd.Timestamp(point.time_s, unit="s", tz="UTC"), "step"]
        if len(after):
            out.append(int(after.iloc[0]))
    return out


# -- what-if ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatIf:
    """One what-if run: ``events`` the edited user's events in step order (timeline columns plus
    ``origin_step``, the original step each aligns to, and ``change``, the op that made or changed it,
    "" when untouched), both traces, the comparison and the edits that were applied."""

    events: pd.DataFrame
    original: Trace
    edited: Trace
    comparison: Comparison
    edits: tuple[Edit, ...]


def whatif(
    model: ReplayModel,
    timeline: Timeline,
    user: str,
    edits: list[Edit] | tuple[Edit, ...],
    k: int = 20,
    original: Trace | None = None,
    seed: int = 0,
) -> WhatIf:
    """Apply ``edits`` (see :func:`parse_edits`) to ``user``'s events, replay the edited timeline and
    compare it with the original replay (``original`` when given, e.g. a cached trace of the same
    model, user and ``k``; else replayed here). DataError naming the first bad edit.

    Edits change the memory's path, not the item side: item embeddings are fixed per checkpoint, so an
    inserted or replaced item is scored with the embedding the model learnt (or, for an item it never
    saw, the one built from its text), whatever the edited history says about it.
    """
    from engine.replay.replay import replay
    from engine.whatif import compare

    edited = apply_edits(timeline, user, list(edits))  # checks the edits before any replay
    config = ReplayConfig(k=k, seed=seed)
    if original is None:
        original = replay(model, timeline, user, config)
    elif original.meta.get("k") != k or original.meta.get("user") != str(user):
        given = f"user {original.meta.get('user')!r} with k={original.meta.get('k')}"
        raise DataError(f"the original trace is of {given}, not of user {user!r} with k={k}")
    trace_b = replay(model, edited.timeline, user, config)
    comparison = compare(original, trace_b, edited.origin_step, first_edit=edited.first_changed_step)
    return WhatIf(edited.user_events(), original, trace_b, comparison, tuple(edits))


def edits_json(edits: list[Edit] | tuple[Edit, ...]) -> str:
    """The JSON text of an edit list: what the page exports and ``python -m engine whatif`` reads."""
    return edits_to_json(list(edits))


def edited_table(timeline: Timeline, user: str, edits: list[Edit] | tuple[Edit, ...]) -> pd.DataFrame:
    """The editable table (:func:`timeline_table`) of ``user``'s events after ``edits``, without a
    replay: what an imported edit list looks like in the editor. DataError naming the first bad edit."""
    return timeline_table(apply_edits(timeline, user, list(edits)).user_events())


def catalogue(model: ReplayModel, timeline: Timeline) -> pd.DataFrame:
    """Items an edit can choose: the model's catalogue plus items of ``timeline`` it has not seen
    (embedded from their text), as ``item_id``, ``item_name``, ``category``, sorted by id."""
    known = pd.DataFrame(
        {"item_id": list(model.catalogue), "item_name": list(model.names), "category": list(model.categories)}
    )
    events = timeline.events.drop_duplicates("item_id", keep="last")
    unseen = events[~events["item_id"].isin(model.item_index)]
    extra = pd.DataFrame(
        {
            "item_id": unseen["item_id"].astype(str).to_numpy(object),
            "item_name": unseen["item_name"].fillna(unseen["item_id"]).astype(str).to_numpy(object),
            "category": unseen["category"].fillna("").astype(str).to_numpy(object),
        }
    )
    table = pd.concat([known, extra], ignore_index=True)
    return table.sort_values("item_id", kind="stable").reset_index(drop=True)
