"""Attribution a data set's licence asks for: OTTO by preset or by its first line, nothing otherwise."""

from __future__ import annotations

from engine.data.presets import attribution

OTTO_LINE = b'{"session":12899779,"events":[{"aid":59625,"ts":1661724000278,"type":"clicks"}]}\n'


def test_otto_by_preset_or_by_its_lines() -> None:
    assert "CC BY 4.0" in (attribution("otto") or "")
    assert "OTTO" in (attribution(None, OTTO_LINE) or "")


def test_other_data_needs_none() -> None:
    assert attribution("taobao") is None
    assert attribution(None, b"user_id,item_id,timestamp\n1,2,3\n") is None
    assert attribution("movielens", OTTO_LINE) is None  # an explicit preset wins over a guess
