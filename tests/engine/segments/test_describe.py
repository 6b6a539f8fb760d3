"""A segment's top categories: the categories of the items its centre ranks first."""

from __future__ import annotations

import numpy as np

from engine.segments.describe import describe_segments


def test_top_categories_follow_the_centre_direction() -> None:
    items = np.array([[1.0, 0.0], [0.9, 0.1], [0.8, 0.3], [0.0, 1.0], [0.1, 0.9]])  # [5 items, 2]
    categories = ["shoes", "shoes", "", "books", "books"]
    centres = np.array([[1.0, 0.05], [0.05, 1.0]])
    labels = np.array([0, 0, 0, 1])
    table = describe_segments(labels, centres, items, categories, top_items=3, top_categories=2)
    assert table["users"].tolist() == [3, 1]
    assert table["share"].tolist() == [0.75, 0.25]
    # centre 0 ranks items 0, 1, 2 first: shoes 2 of 3, the uncategorised item 1 of 3
    assert table.loc[0, "categories"] == [("shoes", 2 / 3), ("(no category)", 1 / 3)]
    assert table.loc[0, "top_categories"] == "shoes 67% · (no category) 33%"
    # centre 1 ranks items 3, 4, then 2 (cos 0.41 beats item 1's 0.16)
    assert table.loc[1, "categories"] == [("books", 2 / 3), ("(no category)", 1 / 3)]


def test_an_empty_segment_keeps_its_row() -> None:
    items = np.eye(3)
    table = describe_segments(np.array([0, 0]), np.eye(3)[:2], items, ["a", "b", "c"], top_items=1)
    assert table["users"].tolist() == [2, 0]
    assert table["top_categories"].tolist() == ["a 100%", "b 100%"]
