"""Model names -> factories, so the CLI, the benchmarks and the dashboard build models one way.

Every factory takes the same keywords, ``seed``, ``device`` and ``progress`` (a training progress bar on
stderr, nested under the caller's; models that train in one quick pass ignore it), and returns an
unfitted :class:`~engine.recommenders.base.Recommender`. Lookup is case-insensitive. Imports happen inside the
factories: naming a model loads nothing until it is built. ``GNN`` is the engine's own model; while its
module (``engine.recommenders.gnn``) is absent from a checkout, ``all`` leaves it out.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from engine.recommenders.base import Recommender

GNN_MODULE = "engine.recommenders.gnn"


class UnknownModelError(ValueError):
    """A model name that no factory answers to."""


def _most_pop(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.recommenders.popularity import MostPop

    return MostPop()


def _recent_pop(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.recommenders.popularity import RecentPop

    return RecentPop()


def _item_knn(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.recommenders.itemknn import ItemKNN

    return ItemKNN()


def _seq_markov(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.recommenders.markov import SeqMarkov

    return SeqMarkov()


def _gru4rec(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.recommenders.gru4rec import GRU4Rec, GRU4RecConfig

    return GRU4Rec(GRU4RecConfig(seed=seed, device=device, progress=progress))


def _gnn(seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    from engine.training.config import TrainConfig

    module = importlib.import_module(GNN_MODULE)
    model: Recommender = module.GNNRecommender(
        train_config=TrainConfig(progress=progress), seed=seed, device=device
    )
    return model


# Display name -> factory, in the order tables list them: simplest first, the GNN last.
FACTORIES: dict[str, Callable[..., Recommender]] = {
    "MostPop": _most_pop,
    "RecentPop": _recent_pop,
    "ItemKNN": _item_knn,
    "SeqMarkov": _seq_markov,
    "GRU4Rec (CE)": _gru4rec,  # a cross-entropy GRU4Rec as in RecBole, not the official implementation
    "GNN": _gnn,
}
BASELINES: tuple[str, ...] = ("MostPop", "RecentPop", "ItemKNN", "SeqMarkov", "GRU4Rec (CE)")
ALIASES: dict[str, str] = {"gru4rec": "GRU4Rec (CE)", "gru4rec-ce": "GRU4Rec (CE)"}  # lower-case -> name


def gnn_available() -> bool:
    """Whether ``engine.recommenders.gnn`` imports; False only when that very module does not exist."""
    try:
        importlib.import_module(GNN_MODULE)
    except ModuleNotFoundError as err:
        if err.name == GNN_MODULE:
            return False
        raise
    return True


def available_models() -> list[str]:
    """Every model ``all`` stands for in this checkout (the GNN only once its module exists)."""
    return [name for name in FACTORIES if name != "GNN" or gnn_available()]


def canonical_name(name: str) -> str:
    """The registered spelling of ``name`` (case-insensitive); UnknownModelError when none matches."""
    by_lower = {**ALIASES, **{known.lower(): known for known in FACTORIES}}
    try:
        return by_lower[name.strip().lower()]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name.strip()!r}; choose from {', '.join(FACTORIES)} or 'all'"
        ) from None


def resolve_models(spec: str | Sequence[str]) -> list[str]:
    """``"all"`` or ``"a,b"`` (or a list of names) -> registered names, in order given, without repeats."""
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        for name in available_models() if part.lower() == "all" else [canonical_name(part)]:
            if name == "GNN" and not gnn_available():
                raise UnknownModelError(f"model 'GNN' is not available: {GNN_MODULE} is not in this checkout")
            if name not in names:
                names.append(name)
    if not names:
        raise UnknownModelError("no model named; give 'all' or names such as MostPop,ItemKNN")
    return names


def create_model(name: str, *, seed: int = 0, device: str = "auto", progress: bool = False) -> Recommender:
    """A new, unfitted model by (case-insensitive) name."""
    return FACTORIES[canonical_name(name)](seed=seed, device=device, progress=progress)
