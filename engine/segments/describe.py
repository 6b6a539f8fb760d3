"""What a segment is about: its size and the categories the model would list for its centre.

A segment's centre is a direction in the state space, so it ranks the catalogue like a user does (cosine
with every item embedding, through the one ranking path :func:`engine.ranking.top_k_numpy`); its top
categories are the most frequent categories among the centre's ``top_items`` best items, with their
shares. This needs only the states and the model, never the events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.ranking import top_k_numpy
from engine.segments.cluster import unit

TOP_ITEMS = 50  # items of a centre's list whose categories describe the segment
TOP_CATEGORIES = 3  # categories named per segment
NO_CATEGORY = "(no category)"


def describe_segments(
    labels: np.ndarray,
    centres: np.ndarray,
    item_vectors: np.ndarray,
    item_categories: np.ndarray | list[str] | tuple[str, ...],
    top_items: int = TOP_ITEMS,
    top_categories: int = TOP_CATEGORIES,
) -> pd.DataFrame:
    """One row per segment: ``segment``, ``users``, ``share`` of all users, ``top_categories`` (text,
    "a 40% · b 30%") and ``categories`` (the list of (category, share) pairs behind it).

    ``labels`` [U] segment of each user; ``centres`` [k, d]; ``item_vectors`` [n_items, d] the model's
    item embeddings; ``item_categories`` [n_items] ("" where unknown).
    """
    k = len(centres)
    sizes = np.bincount(np.asarray(labels, dtype=np.int64), minlength=k)[:k]
    scores = unit(centres) @ unit(item_vectors).T  # [k, n_items] cosines
    best, _ = top_k_numpy(scores.astype(np.float32), top_items)  # [k, top_items]
    categories = np.array([c if c else NO_CATEGORY for c in item_categories], dtype=object)
    rows = []
    for segment in range(k):
        counts = pd.Series(categories[best[segment]]).value_counts(normalize=True, sort=True)
        counts = counts.iloc[np.lexsort((counts.index.astype(str), -counts.to_numpy()))]  # ties by name
        pairs = [(str(c), float(s)) for c, s in counts.head(top_categories).items()]
        rows.append(
            {
                "segment": segment,
                "users": int(sizes[segment]),
                "share": float(sizes[segment] / max(sizes.sum(), 1)),
                "top_categories": " · ".join(f"{c} {s:.0%}" for c, s in pairs),
                "categories": pairs,
            }
        )
    return pd.DataFrame(rows, columns=["segment", "users", "share", "top_categories", "categories"])
