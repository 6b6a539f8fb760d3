"""Pure ranking metrics over ranked lists and target sets, vectorised over users.

Accuracy (:mod:`engine.metrics.ranking`) and beyond-accuracy (:mod:`engine.metrics.beyond`); each
function carries its formula and edge cases in its docstring.
"""

from engine.metrics.beyond import (
    coverage,
    intra_list_diversity_category,
    intra_list_diversity_embedding,
    novelty,
)
from engine.metrics.ranking import (
    f1_at_k,
    hit_matrix,
    hit_rate_at_k,
    hit_rate_curve,
    hit_rate_of_rank,
    mrr_at_k,
    mrr_of_rank,
    ndcg_at_k,
    ndcg_of_rank,
    precision_at_k,
    recall_at_k,
    target_matrix,
)

# Per-user accuracy metrics by the short name used in reports: "ndcg@20" etc.
ACCURACY_METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "f1": f1_at_k,
    "ndcg": ndcg_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
}

__all__ = [
    "ACCURACY_METRICS",
    "coverage",
    "f1_at_k",
    "hit_matrix",
    "hit_rate_at_k",
    "hit_rate_curve",
    "hit_rate_of_rank",
    "intra_list_diversity_category",
    "intra_list_diversity_embedding",
    "mrr_at_k",
    "mrr_of_rank",
    "ndcg_at_k",
    "ndcg_of_rank",
    "novelty",
    "precision_at_k",
    "recall_at_k",
    "target_matrix",
]
