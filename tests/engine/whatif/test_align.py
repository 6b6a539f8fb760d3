"""Alignment of edited steps to original steps: counterparts and the first changed step."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.errors import DataError
from engine.whatif.align import counterparts, first_change


def test_counterpart_is_the_last_edited_step_of_an_original_step() -> None:
    # original 0..4; step 2 deleted; an insert after 3 (edited steps 3 and 4 both align to 3)
    origin = np.array([0, 1, 3, 3, 4])
    assert counterparts(origin, 5).tolist() == [0, 1, -1, 3, 4]


def test_an_insert_before_the_first_has_no_original_step() -> None:
    assert counterparts(np.array([-1, 0, 1]), 2).tolist() == [1, 2]


def test_first_change_is_none_when_nothing_changed() -> None:
    origin = np.arange(4)
    assert first_change(origin, np.ones(4, bool), 4) is None


@pytest.mark.parametrize(
    ("origin", "unchanged", "n_a", "expected"),
    [
        ([0, 1, 2, 3], [True, True, False, True], 4, 2),  # step 2 retyped
        ([0, 1, 3], [True, True, True], 4, 2),  # step 2 deleted
        ([0, 1, 2], [True, True, True], 4, 3),  # the last step deleted: it has no counterpart
        ([0, 1, 1, 2], [True, True, False, True], 3, 1),  # insert after 1: step 1 meets the insert's state
        ([0, 2, 1, 3], [True, True, False, True], 4, 1),  # step 1 moved after step 2
        ([-1, 0, 1], [False, True, True], 2, 0),  # insert before the first
    ],
)
def test_first_change(origin: list[int], unchanged: list[bool], n_a: int, expected: int) -> None:
    assert first_change(np.array(origin), np.array(unchanged), n_a) == expected


def test_origin_outside_the_original_steps_is_an_error() -> None:
    with pytest.raises(DataError, match=r"origin step 5 of edited step 1 is outside -1\.\.2"):
        counterparts(np.array([0, 5]), 3)
