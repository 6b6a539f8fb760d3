from __future__ import annotations

import numpy as np

from engine.graph.store import KeyedStore


def test_accumulate_equals_sequential_decay() -> None:
    store = KeyedStore()
    # key 7 gets 1.0 at t=0 and 2.0 at t=10; half-life 10 -> 1 * 0.5 + 2 = 2.5 at t=10
    keys, slots, existed = store.accumulate(
        np.array([7, 7, 3]), np.array([0.0, 10.0, 5.0]), np.array([1.0, 2.0, 4.0]), 10.0
    )
    assert keys.tolist() == [3, 7]
    assert not existed.any()
    assert np.allclose(store.weight[slots], [4.0, 2.5])
    assert np.allclose(store.time[slots], [5.0, 10.0])
    # later: +1 at t=20 -> 2.5 * 0.5 + 1
    _, slots2, existed2 = store.accumulate(np.array([7]), np.array([20.0]), np.array([1.0]), 10.0)
    assert existed2.all()
    assert slots2[0] == slots[1]
    assert np.isclose(store.weight[slots2[0]], 2.25)


def test_lookup_across_index_rebuilds_and_removal() -> None:
    store = KeyedStore(capacity=4)
    rng = np.random.default_rng(0)
    keys = rng.choice(10**12, size=20_000, replace=False)
    for chunk in np.array_split(keys, 37):  # some chunks stay in the pending dict, some rebuild
        store.accumulate(chunk, np.zeros(len(chunk)), np.ones(len(chunk)), 1.0)
    assert len(store) == len(keys)
    assert (store.keys[store.lookup(keys)] == keys).all()
    assert (store.lookup(np.array([-5, 10**13])) == -1).all()

    drop = np.isin(store.keys[: store.size], keys[::2])
    removed = store.remove(drop)
    assert sorted(removed.tolist()) == sorted(keys[::2].tolist())
    assert (store.lookup(keys[::2]) == -1).all()
    assert (store.keys[store.lookup(keys[1::2])] == keys[1::2]).all()


def test_slots_between_finds_a_key_range_in_both_indexes() -> None:
    store = KeyedStore()
    big = np.arange(0, 20_000, 2, dtype=np.int64)  # merged into the main index
    store.accumulate(big, np.zeros(len(big)), np.ones(len(big)), 1.0)
    store.accumulate(np.array([101, 103, 99_999]), np.zeros(3), np.ones(3), 1.0)  # stays recent
    found = store.keys[store.slots_between(98, 106)]
    assert found.tolist() == [98, 100, 101, 102, 103, 104]
    assert len(store.slots_between(50_000, 60_000)) == 0
