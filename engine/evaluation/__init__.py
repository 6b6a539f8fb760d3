"""Honest evaluation: temporal protocols, full-catalogue ranking, bootstrap intervals, leakage guards.

- :mod:`~engine.evaluation.protocols` — ``time`` (global cut at a time quantile, the headline) and
  ``loo`` (leave-last-out, ties by file order); each returns a :class:`Split`.
- :mod:`~engine.evaluation.guard` — :class:`LeakageError`: raised when a model is handed, or reads, an
  event at or after the cut.
- :mod:`~engine.evaluation.evaluator` — one path for every model: guarded fit, ``top_k`` over the whole
  catalogue in user chunks, metrics from :mod:`engine.metrics`, 95% bootstrap intervals over users,
  and paired intervals of each model's difference from the best baseline.
- :mod:`~engine.evaluation.sampled` — sampled metrics, only as a labelled comparison, with the
  Krichene–Rendle correction.
"""

from engine.evaluation.evaluator import (
    Comparison,
    EvalConfig,
    EvaluationReport,
    ModelResult,
    compare_to_best,
    evaluate,
    evaluate_model,
)
from engine.evaluation.guard import LeakageError, check_handed, guarded_training, verify_fitted
from engine.evaluation.protocols import PROTOCOLS, Split, loo_split, make_split, time_split

__all__ = [
    "PROTOCOLS",
    "Comparison",
    "EvalConfig",
    "EvaluationReport",
    "LeakageError",
    "ModelResult",
    "Split",
    "check_handed",
    "compare_to_best",
    "evaluate",
    "evaluate_model",
    "guarded_training",
    "loo_split",
    "make_split",
    "time_split",
    "verify_fitted",
]
