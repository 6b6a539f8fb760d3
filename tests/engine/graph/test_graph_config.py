from __future__ import annotations

import pytest

from engine.graph import GraphConfig


def test_default_strengths_are_ordered_purchase_cart_like_view() -> None:
    cfg = GraphConfig()
    assert cfg.strength("purchase") > cfg.strength("cart") > cfg.strength("like") > cfg.strength("view")


def test_unknown_event_type_gets_default_strength() -> None:
    assert GraphConfig(default_strength=0.5).strength("share") == 0.5


def test_defaults_are_not_shared_between_instances() -> None:
    a, b = GraphConfig(), GraphConfig()
    a.strengths["view"] = 9.0
    assert b.strengths["view"] == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"half_life_s": 0},
        {"window_s": -1},
        {"max_links": -1},
        {"prune_threshold": -0.1},
        {"prune_every_s": 0},
        {"strengths": {"view": 0.0}},
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="must be"):
        GraphConfig(**kwargs)
