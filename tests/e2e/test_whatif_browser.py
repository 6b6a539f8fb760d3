"""The What-if page in a real browser: an edit typed into the editor, Replay edited, and the side-by-side
view drawn (two lists with their marks, the metrics, three figures)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ROW_PX = 35  # the data editor's header and row height
EDITED_ROW = 5


def _settled_box(page, locator) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The element's box once the page has stopped moving it: the grid is a canvas clicked by pixel, so a
    caption drawn above it after the box was read would move the click onto the next row."""
    box = locator.bounding_box()
    for _ in range(40):
        page.wait_for_timeout(250)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    raise AssertionError("the data editor kept moving")


@pytest.fixture(scope="module")
def whatif_server(
    tmp_path_factory: pytest.TempPathFactory,
    serve_dashboard: Callable[[Path], contextlib.AbstractContextManager[str]],
) -> Iterator[str]:
    """A server on tiny data whose model is trained beside it first, so no page trains."""
    from engine import api
    from engine.data.synthetic import SyntheticConfig, generate
    from engine.data.writer import save_events

    path = tmp_path_factory.mktemp("e2e_whatif") / "events.parquet"
    timeline, _ = generate(SyntheticConfig(n_users=12, n_items=80, n_categories=4, days=10, seed=3))
    save_events(timeline, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INTEREST_REPLAY_DATA", str(path))
        loaded = api.load_timeline(path)
        api.train_model(loaded, api.model_path(loaded), api.DEMO_CUT_QUANTILE)
    with serve_dashboard(path) as url:
        yield url


@pytest.fixture
def whatif_page(browser: object, whatif_server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 3000})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def test_an_edit_in_the_editor_is_replayed_side_by_side(
    whatif_page, whatif_server: str, artifacts: Path
) -> None:  # type: ignore[no-untyped-def]
    page = whatif_page
    page.goto(whatif_server)
    page.get_by_text("Recommendations").first.wait_for()  # the Replay page, then its navigation link
    page.get_by_role("link", name="What-if").click()
    page.get_by_role("button", name="Replay edited").wait_for()
    page.get_by_text("0 edit(s) from the table").wait_for()

    # the event type of one row: open the cell's picker (the grid is a canvas), type, choose
    box = _settled_box(page, page.locator('[data-testid="stDataFrame"]').first)
    page.mouse.dblclick(box["x"] + box["width"] - 40, box["y"] + ROW_PX * (EDITED_ROW + 1) + ROW_PX / 2)
    page.locator("#portal input[role=combobox]").fill("purch")
    page.keyboard.press("Enter")
    page.get_by_text("1 edit(s) from the table").wait_for()

    page.get_by_role("button", name="Replay edited").click()
    page.get_by_text("Original vs edited", exact=True).wait_for()
    charts = page.locator(".js-plotly-plot")
    charts.nth(2).wait_for()  # drift overlay, list overlap, interest difference
    assert charts.count() == 3
    page.locator(".js-plotly-plot .scatterlayer .trace").nth(3).wait_for(state="attached")  # lines drawn
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="First changed step")
    assert metric.inner_text().split()[-1] == str(EDITED_ROW)
    stability = page.locator('[data-testid="stMetric"]').filter(has_text="Stability")
    assert 0.0 <= float(stability.inner_text().split()[-1]) <= 1.0
    expect(page.get_by_text(f"Original · step {EDITED_ROW}")).to_have_count(1)
    expect(page.get_by_text(f"Edited · step {EDITED_ROW}")).to_have_count(1)
    expect(page.get_by_text(" · purchase · ")).to_have_count(1)  # the edited event, beside the original
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(6)  # editor, edits, 2 lists, movers
    page.screenshot(path=str(artifacts / "whatif.png"), full_page=True)
