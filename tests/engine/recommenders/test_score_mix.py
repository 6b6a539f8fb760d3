"""The score mix: a weighted sum of named parts, NDCG by hand, and a search that finds the useful part."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine.recommenders.score_mix import (
    MIX_PARTS,
    MixQueries,
    ScoreMix,
    cross_entropy_weights,
    fit_mix,
    group_ndcg,
    mix_objective,
    ndcg,
    references,
)


def test_combine_is_the_weighted_sum_of_the_parts() -> None:
    mix = ScoreMix({"state": 1.0, "transition": 2.0, "popularity": 0.5})
    state = torch.tensor([[0.1, 0.2]])
    parts = {
        "transition": torch.tensor([[1.0, 0.0]]),
        "cooccurrence": torch.tensor([[9.0, 9.0]]),  # weight 0: left out
        "popularity": torch.tensor([[0.2, 0.4]]),
    }
    np.testing.assert_allclose(mix.combine(state, parts).numpy(), [[2.2, 0.4]], atol=1e-6)
    assert set(mix.weighted(state, parts)) == {"state", "transition", "popularity"}
    assert ScoreMix.from_state(mix.to_state()) == mix
    assert ScoreMix.from_state({}) == ScoreMix()  # an old checkpoint: the plain cosine
    assert not ScoreMix().uses_evidence


@pytest.mark.parametrize("weights", [{"state": -1.0}, {"novelty": 1.0}, {"state": math.nan}])
def test_bad_weights_are_refused(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"unknown score parts|finite and >= 0"):
        ScoreMix(weights)


def test_ndcg_by_hand() -> None:
    scores = torch.tensor([[0.9, 0.8, 0.1, 0.5], [0.1, 0.2, 0.3, 0.4]])
    targets = torch.tensor([[False, True, False, True], [True, False, False, False]])
    # row 0: top-2 = items 0, 1 -> one hit at rank 2 -> (1 / log2 3) / (1 + 1 / log2 3)
    # row 1: the target ranks last, outside the top 2 -> 0
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    np.testing.assert_allclose(ndcg(scores, targets, 2).numpy(), [expected, 0.0], atol=1e-6)


def planted_queries(q: int = 60, n: int = 30, seed: int = 0) -> MixQueries:
    """Two kinds of query: in kind 0 the target is the argmax of the transition part, in kind 1 of the
    co-occurrence part; the state is noise; item 0 is "seen" unless it is the target."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(q, len(MIX_PARTS), n)).astype(np.float32)
    group = np.arange(q) % 2
    target = np.where(group == 0, features[:, 1].argmax(1), features[:, 2].argmax(1))
    targets = np.zeros((q, n), dtype=bool)
    targets[np.arange(q), target] = True
    excluded = np.zeros((q, n), dtype=bool)
    excluded[:, 0] = target != 0
    return MixQueries(*(torch.from_numpy(a) for a in (features, excluded, targets, group)))


def test_group_ndcg_averages_each_kind_and_references_take_the_best_single_part() -> None:
    queries = planted_queries()
    transition_alone = group_ndcg(queries, torch.eye(len(MIX_PARTS))[MIX_PARTS.index("transition")], 5)
    assert transition_alone[0] == pytest.approx(1.0)  # kind 0 is found at rank 1 by the transition
    assert transition_alone[1] < 0.5
    np.testing.assert_allclose(references(queries, 5).numpy(), [1.0, 1.0])


def test_references_are_the_simple_baselines_parts_only() -> None:
    """A part no simple baseline has (``category``) may help the mix but never raises the bar."""
    queries = planted_queries()
    perfect = queries.targets.float()  # a category part that finds every target at rank 1
    features = queries.features.clone()
    features[:, MIX_PARTS.index("category_pop")] = perfect
    features[:, MIX_PARTS.index("transition")] = 0.0  # kind 0 now has no reference part that finds it
    boosted = MixQueries(features, queries.excluded, queries.targets, queries.group)
    reference = references(boosted, 5)
    assert float(reference[0]) < 0.5
    alone = group_ndcg(boosted, torch.eye(len(MIX_PARTS))[MIX_PARTS.index("category_pop")], 5)
    np.testing.assert_allclose(alone.numpy(), [1.0, 1.0])


def test_a_learned_baselines_reading_raises_the_reference_of_the_kinds_it_reads_better() -> None:
    queries = planted_queries()
    features = queries.features.clone()
    features[:, MIX_PARTS.index("transition")] = 0.0  # kind 0 now has no reference part that finds it
    weak = MixQueries(features, queries.excluded, queries.targets, queries.group)
    parts_only = references(weak, 5)
    learned = torch.where(weak.group == 0, 0.8, 0.1)  # per query: strong on kind 0, weak on kind 1
    reference = references(replace(weak, learned=learned), 5)
    assert float(reference[0]) == pytest.approx(max(0.8, float(parts_only[0])))
    assert float(reference[1]) == pytest.approx(float(parts_only[1]))  # 1.0 from the co-occurrence part
    kept = replace(weak, learned=learned).rows(weak.group == 0)
    assert kept.learned is not None
    assert len(kept) == len(kept.learned) == int((weak.group == 0).sum())


def test_the_search_balances_the_kinds_and_never_loses_to_the_cosine() -> None:
    queries = planted_queries()
    reference = references(queries, 5)
    plain = mix_objective(queries, torch.eye(len(MIX_PARTS))[0], 5, reference)
    mix, fit = fit_mix(queries, k=5)
    assert fit.objective >= plain
    alone = [float(group_ndcg(queries, torch.eye(len(MIX_PARTS))[p], 5).min()) for p in range(len(MIX_PARTS))]
    assert fit.objective > max(alone) + 0.1  # each part alone reads one kind poorly: both are needed
    assert mix.weight("transition") > 0
    assert mix.weight("cooccurrence") > 0
    weights = torch.tensor([mix.weight(p) for p in MIX_PARTS])  # stored in raw units
    assert mix_objective(queries, weights, 5, reference) == pytest.approx(fit.objective, abs=1e-4)
    assert min(fit.mix_ndcg) == pytest.approx(fit.objective, abs=1e-4)


def test_the_objective_reduces_the_kinds_ratios_as_asked() -> None:
    queries = planted_queries()
    reference = references(queries, 5)
    weights = torch.eye(len(MIX_PARTS))[MIX_PARTS.index("transition")]  # reads kind 0 only
    ratios = group_ndcg(queries, weights, 5) / reference
    assert mix_objective(queries, weights, 5, reference) == pytest.approx(float(ratios.min()))
    mean = mix_objective(queries, weights, 5, reference, lambda r: float(r.mean()))
    assert mean == pytest.approx(float(ratios.mean()))
    assert mean > float(ratios.min()) + 0.2
    # fitted for the mean of the kinds, the search reports that objective, not the worst kind's
    _, fit = fit_mix(queries, k=5, reduce=lambda r: float(r.mean()))
    mean_ratio = float(np.mean(np.divide(fit.mix_ndcg, fit.reference_ndcg)))
    assert fit.objective == pytest.approx(mean_ratio, abs=1e-4)


def test_cross_entropy_puts_weight_on_the_informative_parts() -> None:
    weights = cross_entropy_weights(planted_queries())
    assert min(weights[1], weights[2]) > 3 * max(weights[0], weights[3], weights[4])
    only_kind_0 = cross_entropy_weights(planted_queries(), torch.tensor([1.0, 0.0]))
    assert only_kind_0[1] > 3 * only_kind_0[2]


def test_a_mix_limited_to_the_state_is_the_plain_cosine() -> None:
    mix, _ = fit_mix(planted_queries(), k=5, parts=())
    assert mix == ScoreMix()
