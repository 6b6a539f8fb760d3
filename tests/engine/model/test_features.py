"""Node features: hashed n-grams are stable, and an unseen item still gets a text-driven embedding."""

from __future__ import annotations

import torch

from engine.model.config import ModelConfig
from engine.model.features import NodeFeatures, TextBags, text_tokens


def test_text_tokens_words_and_char_ngrams() -> None:
    tokens = text_tokens("Red Shoe", 3)
    assert "w:red" in tokens
    assert "w:shoe" in tokens
    assert {"c:<re", "c:red", "c:ed>", "c:<sh", "c:sho", "c:hoe", "c:oe>"} <= set(tokens)
    assert text_tokens("", 3) == []


def test_text_bags_are_stable_and_offsets_mark_each_text() -> None:
    a = TextBags.from_texts(["red shoe", "", "blue shoe"], 1024, 3)
    b = TextBags.from_texts(["red shoe", "", "blue shoe"], 1024, 3)
    assert torch.equal(a.indices, b.indices)  # crc32, not Python's salted hash()
    assert a.offsets.tolist()[0] == 0
    assert a.offsets[1] == a.offsets[2]
    assert int(a.indices.max()) < 1024


def test_unknown_item_gets_text_features_and_similar_names_are_close() -> None:
    torch.manual_seed(0)
    config = ModelConfig(dim=16, text_buckets=4096, id_dropout=0.0)
    features = NodeFeatures(n_items=2, n_categories=1, config=config).eval()
    bags = TextBags.from_texts(["trail running shoe", "trail running shoes", "garden hose"], 4096, 3)
    ids = torch.tensor([-1, -1, -1])  # none of them known: only text (and type) differ
    x = features(ids, bags, torch.zeros(3, dtype=torch.long))
    cos = torch.nn.functional.cosine_similarity
    assert cos(x[0], x[1], dim=0) > cos(x[0], x[2], dim=0)


def test_id_dropout_hides_ids_only_in_training() -> None:
    config = ModelConfig(dim=8, text_buckets=64, id_dropout=1.0)
    features = NodeFeatures(n_items=3, n_categories=1, config=config)
    bags = TextBags.from_texts(["", "", ""], 64, 3)
    types = torch.zeros(3, dtype=torch.long)
    known, unknown = torch.tensor([0, 1, 2]), torch.tensor([-1, -1, -1])
    features.train()
    assert torch.allclose(features(known, bags, types), features(unknown, bags, types))
    features.eval()
    assert not torch.allclose(features(known, bags, types), features(unknown, bags, types))
