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
