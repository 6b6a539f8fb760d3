"""A per-user view of the interest graph for display: plain Python, no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.graph.interest_graph import InterestGraph, TimeLike


def user_subgraph(
    graph: InterestGraph,
    user_id: str,
    now: TimeLike = None,
    top_neighbours: int = 10,
    max_touched: int = 50,
) -> dict[str, Any]:
    """What one user touched plus the strongest neighbours of it, for display.

    Returns ``{"nodes": [...], "edges": [...]}``:

    - node ``{"id", "label", "kind", "weight", "touched"}``: ``id`` is ``"item:<item_id>"`` or
      ``"category:<category_id>"``; ``label`` the item name (else the id) or the category id; ``kind``
      "item" or "category"; ``weight`` for a touched item the user's decayed interest (sum of event
      strengths, decayed like edges), for a neighbour item the sum of its edge weights to the touched
      items, for a category the sum of the weights of its items in the view; ``touched`` bool.
    - edge ``{"source", "target", "weight", "kind"}`` between node ids: "co" (item-item, decayed) and
      "in" (item -> category).

    At most ``max_touched`` touched items (strongest first) and ``top_neighbours`` untouched items
    (highest weight) are shown. An unknown user gives empty lists. Strings are not escaped.
    """
    raise NotImplementedError
