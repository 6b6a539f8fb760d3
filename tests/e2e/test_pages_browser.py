"""Every page in a real browser: it opens from its URL with the app's navigation, draws its header and
raises nothing; a screenshot of each is kept in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = {
    "whatif": "What-if",
    "data": "Data",
    "models": "Models",
    "segments": "Segments & trends",
    "metrics": "Metrics",
    "seed": "Seed example",
}


@pytest.fixture(scope="module", autouse=True)
def _model_trained(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """The first visit trains the model (Replay shows its progress): wait for it once, so each page
    below is seen with its content rather than the training bar."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server)
    page.get_by_text("Recommendations").first.wait_for(timeout=300_000)
    context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_page_opens_without_errors(page, server: str, artifacts: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=PAGES[path], exact=True).wait_for(timeout=240_000)
    page.wait_for_timeout(2500)  # let the page's charts settle
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Interest Replay", exact=True).first.is_visible()  # the app's sidebar ran
    page.screenshot(path=str(artifacts / f"page-{path}.png"), full_page=True)


def test_seed_example_shows_the_articles_numbers(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/seed")
    page.get_by_role("heading", name="Seed example", exact=True).wait_for(timeout=120_000)
    main = page.locator("[data-testid=stMain]")
    # the heading is drawn before the numbers below it: wait for each rather than read the page once
    for value in ("0.75", "0.55", "0.70"):
        expect(main).to_contain_text(value, timeout=60_000)


def test_metrics_draws_the_held_out_curves(page, server: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/metrics")
    page.get_by_role("heading", name="Hits as the held-out events go by").wait_for(timeout=240_000)
    page.get_by_role("button", name="Replay the held-out events").click()
    main = page.locator("[data-testid=stMain]")
    expect(main).to_contain_text("held-out events of", timeout=180_000)
    chart = main.locator(".js-plotly-plot").filter(has_text="over the held-out events")
    chart.wait_for()
    expect(chart.locator(".scatterlayer .trace, .gl-container")).not_to_have_count(0)
    for model in ("GNN", "RecentPop", "SeqMarkov", "ItemKNN"):
        expect(chart).to_contain_text(model)  # one legend entry per model
    assert page.locator("[data-testid=stException]").count() == 0
    page.wait_for_timeout(1500)
    page.screenshot(path=str(artifacts / "metrics-heldout.png"), full_page=True)
