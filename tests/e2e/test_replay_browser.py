"""The Replay page in a real browser: it opens first, trains its model with progress, draws the graph
from the once-served vis-network script, follows the step control, and shows hostile names as text."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TRAINING_TIMEOUT_MS = 240_000  # the first visit trains the model on the generated data
PANEL = ".st-key-explain_panel [data-testid=stMarkdownContainer]"  # the one explanation shown


def _open_replay(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server)
    page.get_by_text("Why these items").wait_for(timeout=TRAINING_TIMEOUT_MS)


def test_replay_page_steps_and_draws_every_view(page, server: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_replay(page, server)
    assert page.get_by_role("heading", name="Replay", exact=True).is_visible()
    # vis-network is served once as a static file, and the graph iframe loads it from there
    with urllib.request.urlopen(f"{server}/app/static/vis-network.min.js", timeout=10) as resp:
        assert resp.status == 200
    frame = page.frame_locator("iframe").first
    frame.locator("canvas").first.wait_for(timeout=60_000)
    charts = page.locator(".js-plotly-plot")
    charts.nth(4).wait_for()
    assert charts.count() >= 5  # trajectory, drift, interests, hit@K, MRR
    # the hostile item name is the busiest user's first event: shown as text, never run
    caption = page.locator("[data-testid=stMarkdownContainer]").filter(has_text="Step 0 ·").first
    assert "<img" in caption.inner_text()
    assert "Deal" in caption.inner_text()
    page.screenshot(path=str(artifacts / "replay-step0.png"), full_page=True)

    slider = page.get_by_role("slider", name="Step")
    slider.focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Step 12 ·", exact=False).first.wait_for()
    assert "step=12" in page.url
    page.get_by_role("button", name="Next ▶").click()
    page.get_by_text("Step 13 ·", exact=False).first.wait_for()
    page.wait_for_timeout(1500)  # let the figures redraw before the picture
    page.screenshot(path=str(artifacts / "replay-step13.png"), full_page=True)
    assert dialogs == []  # no script from the data ran


def test_the_url_restores_user_and_step(page, server: str) -> None:  # type: ignore[no-untyped-def]
    _open_replay(page, server)
    user = page.url.split("user=")[1].split("&")[0]
    page.goto(f"{server}/?user={user}&step=7")
    page.get_by_text("Step 7 ·", exact=False).first.wait_for(timeout=TRAINING_TIMEOUT_MS)


def test_tooltips_show_hostile_names_as_text(page, server: str) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_replay(page, server)
    iframe = page.locator("iframe").first
    iframe.wait_for()
    frame = iframe.element_handle().content_frame()
    frame.locator("canvas").first.wait_for(timeout=60_000)
    frame.wait_for_function("() => window.drawnStep === 0")  # step 0's nodes are in and drawn
    found = frame.evaluate(
        """() => {
            const node = nodes.get().find(n => String(n.title).includes("<img"));
            if (!node) return null;
            const at = network.canvasToDOM(network.getPositions([node.id])[node.id]);
            return {x: at.x, y: at.y, title: node.title};
        }"""
    )
    assert found is not None, "the hostile item is not in the graph at step 0"
    box = iframe.bounding_box()
    page.mouse.move(box["x"] + found["x"], box["y"] + found["y"])
    tooltip = frame.locator(".vis-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.inner_text()
    assert '<img src=x onerror="alert(1)">' in text  # shown as text, not escaped twice, not run
    assert "&lt;" not in text
    assert dialogs == []


def test_play_advances_and_sessions_keep_their_own_step(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1800}) for _ in range(2)]
    try:
        one, two = (c.new_page() for c in contexts)
        for pg in (one, two):
            pg.set_default_timeout(60_000)
        _open_replay(one, server)
        user = one.url.split("user=")[1].split("&")[0]
        one.goto(f"{server}/?user={user}&step=3")
        one.get_by_text("Step 3 ·", exact=False).first.wait_for(timeout=TRAINING_TIMEOUT_MS)
        canvas_before = one.frame_locator("iframe").first.locator("canvas").first.screenshot()
        list_before = one.locator("[data-testid=stDataFrame]").first.screenshot()  # a canvas grid
        one.get_by_role("button", name="▶ Play").click()
        one.get_by_text("Step 5 ·", exact=False).first.wait_for(timeout=30_000)  # advanced by itself
        one.get_by_role("button", name="⏸ Pause").click()
        one.wait_for_timeout(1500)
        canvas_after = one.frame_locator("iframe").first.locator("canvas").first.screenshot()
        assert canvas_after != canvas_before  # the graph was redrawn for the new step
        assert one.locator("[data-testid=stDataFrame]").first.screenshot() != list_before  # the list changed

        two.goto(f"{server}/?step=1")  # another visitor: the default user, their own step
        two.get_by_text("Step 1 ·", exact=False).first.wait_for(timeout=TRAINING_TIMEOUT_MS)
        assert "step=1" in two.url
        one.wait_for_timeout(500)
        assert "step=1" not in one.url
    finally:
        for c in contexts:
            c.close()


def test_a_step_updates_the_graph_and_charts_in_place(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """A step moves the graph and the chart marks without reloading the iframe or redrawing a figure."""
    _open_replay(page, server)
    user = page.url.split("user=")[1].split("&")[0]
    page.goto(f"{server}/?user={user}&step=2")
    page.get_by_text("Step 2 ·", exact=False).first.wait_for()
    iframe = page.locator("iframe").first
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function("() => window.drawnStep === 2")
    page.wait_for_function("() => window.__replayStep && window.__replayMarked === window.__replayStep.stamp")
    frame.evaluate("() => { window.__sameDocument = true; }")  # gone if the iframe reloads
    nodes_before = frame.evaluate("() => nodes.getIds().length")
    page.evaluate(
        "() => document.querySelectorAll('.js-plotly-plot').forEach(g => { g.__sameChart = true; })"
    )
    line_before = page.evaluate(
        "() => document.querySelector('.st-key-fig_drift svg.replay-step line:last-child').getAttribute('x1')"
    )
    star_before = page.evaluate(
        "() => document.querySelector('.st-key-fig_trajectory .replay-now').getAttribute('points')"
    )

    slider = page.get_by_role("slider", name="Step")
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Step 8 ·", exact=False).first.wait_for()
    frame.wait_for_function("() => window.drawnStep === 8")
    page.wait_for_function(
        "() => window.__replayStep.step === 8 && window.__replayMarked === window.__replayStep.stamp"
    )
    assert frame.evaluate("() => window.__sameDocument") is True  # the iframe was not reloaded
    assert frame.evaluate("() => nodes.getIds().length") > nodes_before  # the graph grew with the timeline
    assert page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(g => g.__sameChart === true)"
    )  # no figure was remounted
    line_after = page.evaluate(
        "() => document.querySelector('.st-key-fig_drift svg.replay-step line:last-child').getAttribute('x1')"
    )
    assert float(line_after) > float(line_before)  # the step line moved right
    star_after = page.evaluate(
        "() => document.querySelector('.st-key-fig_trajectory .replay-now').getAttribute('points')"
    )
    assert star_after != star_before
    assert page.locator("svg.replay-step").count() == 5  # every chart carries the step


def _listed(events: Path, name: str) -> tuple[str, int, int]:
    """(user, step, rank) where the item called ``name`` is in a list below the top, computed like the
    server does (same data, the model it trained, the top 20)."""
    from engine import api

    timeline = api.load_timeline(events)
    model = api.load_model(api.model_path(timeline, events), timeline)
    for user in api.user_table(timeline)["user_id"]:
        recs = api.replay_user(model, timeline, user, k=20).recs
        found = recs[(recs["item_name"] == name) & (recs["status"] != "left") & (recs["rank"] > 1)]
        if len(found):
            return str(user), int(found["step"].iloc[0]), int(found["rank"].iloc[0])
    raise AssertionError(f"{name!r} is never listed below the top")


def test_choosing_an_item_shows_its_explanation_with_names_as_text(  # type: ignore[no-untyped-def]
    page, server: str, e2e_events: Path, hostile_name: str, artifacts: Path
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_replay(page, server)  # the server has trained its model by now
    user, step, rank = _listed(e2e_events, hostile_name)
    page.goto(f"{server}/?user={user}&step={step}")
    page.get_by_text(f"Step {step} ·", exact=False).first.wait_for(timeout=TRAINING_TIMEOUT_MS)
    panel = page.locator(PANEL).first
    assert panel.inner_text().startswith("#1 ")  # the top item until another is chosen
    assert page.locator("[data-testid=stExpander]").count() == 1  # Export only, no expander per item

    page.locator(".st-key-explain_item").get_by_role("combobox").click()
    option = page.get_by_role("option").filter(has_text="Deal")
    assert option.inner_text() == f"#{rank} · {hostile_name}"  # the option shows the name as text
    option.click()
    page.wait_for_function(
        "([sel, head]) => document.querySelector(sel)?.innerText.startsWith(head)",
        arg=[PANEL, f"#{rank} "],
    )
    text = panel.inner_text()
    assert hostile_name in text  # as text, not markup
    assert "score" in text.splitlines()[0]
    assert len(text.splitlines()) > 2  # the score's parts, one line each
    assert panel.locator("img").count() == 0
    page.screenshot(path=str(artifacts / "replay-explanation.png"), full_page=True)
    assert dialogs == []
