"""Replay page helpers: labels, step filters, inert text."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.replay_view import (
    change_label,
    explain_label,
    explanation_markdown,
    explanation_panel,
    explanation_texts,
    plain,
    safe_name,
    visible_steps,
)


def test_plain_makes_markdown_and_html_inert() -> None:
    text = plain('<img src=x onerror="alert(1)"> *bold* [link](http://x)')
    assert "\\<img" in text
    assert "\\*bold\\*" in text
    assert "\\[link\\]\\(http://x\\)" in text


def test_rank_change_labels() -> None:
    assert change_label("entered", None, 3) == "new"
    assert change_label("stayed", 5, 2) == "▲ 3"
    assert change_label("stayed", 1, 4) == "▼ 3"
    assert change_label("stayed", 2, 2) == "="


def test_visible_steps_follow_type_and_date_filters() -> None:
    steps = pd.DataFrame(
        {
            "step": [0, 1, 2, 3],
            "event_type": ["view", "cart", "view", "purchase"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"], utc=True),
        }
    )
    assert visible_steps(steps, ["view", "cart", "purchase"], (dt.date(2026, 1, 1), dt.date(2026, 1, 4))) == [
        0,
        1,
        2,
        3,
    ]
    assert visible_steps(steps, ["view"], (dt.date(2026, 1, 1), dt.date(2026, 1, 4))) == [0, 2]
    assert visible_steps(steps, ["view", "cart", "purchase"], (dt.date(2026, 1, 2), dt.date(2026, 1, 3))) == [
        1,
        2,
    ]


def test_explanations_render_as_escaped_lines_and_files_get_safe_names() -> None:
    rows = pd.DataFrame(
        {"why": ["viewed <b>X</b> (attention 0.40)"], "contribution": [0.25], "share": ["50%"]}
    )
    text = explanation_markdown(rows)
    assert text.startswith("- `+0.250`")
    assert "\\<b\\>" in text
    assert safe_name("user/../x y") == "user_.._x_y"


def test_the_explanation_panel_escapes_the_name_and_the_selector_label_is_plain_text() -> None:
    hostile = "<img src=x onerror=alert(1)> *bold*"
    panel = explanation_panel(3, hostile, 1.25, "- `+1.000` memory")
    assert panel.startswith("**#3 \\<img src=x onerror=alert\\(1\\)\\> \\*bold\\*** · score 1.250")
    assert panel.endswith("\n\n- `+1.000` memory")
    assert explain_label(3, hostile) == "#3 · " + hostile  # a selectbox option: shown as text as it is


def test_parts_too_small_to_print_are_folded_into_one_line_that_keeps_the_sum() -> None:
    explanations = pd.DataFrame(
        {
            "rank": [1, 1, 1, 1, 2],
            "text": ["memory", "viewed A", "viewed B", "viewed <i>C</i>", "bias"],
            "contribution": [0.5, 0.0002, -0.0001, 0.2, 0.0001],
        }
    )
    texts = explanation_texts(explanations, [1, 2])
    assert texts[1].split("\n") == [
        "- `+0.500` memory",
        "- `+0.200` viewed \\<i\\>C\\</i\\>",
        "- `+0.000` 2 more parts under 0.001 each",
    ]
    assert texts[2] == "- `+0.000` 1 more part under 0.001 each"
