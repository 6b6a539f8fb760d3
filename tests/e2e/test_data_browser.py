"""The data page in a real browser: it renders the demo data and explains a bad upload."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_data_page_renders_summary_and_charts(page, server: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/data")
    page.get_by_text("Validation report").wait_for()
    metric_users = page.locator('[data-testid="stMetric"]').filter(has_text="Users")
    assert metric_users.inner_text().split()[-1] == "40"
    charts = page.locator(".js-plotly-plot")
    charts.nth(2).wait_for()  # per-day, event types, per user: plotly draws after the page settles
    assert charts.count() == 3
    page.locator(".js-plotly-plot .bars path").first.wait_for(state="attached")  # bars, not empty axes
    page.screenshot(path=str(artifacts / "data-page.png"), full_page=True)


def test_bad_upload_names_the_row(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,item_id,timestamp,event_type\nu1,i1,yesterday,view\nu2,i2,sometime,view\n")
    page.goto(f"{server}/data")
    page.get_by_text("Validation report").wait_for()
    page.get_by_text("Upload an events file").click()
    page.locator('input[type="file"]').set_input_files(str(bad))
    error = page.get_by_text("Cannot use this file")
    error.wait_for()
    assert "row 1" in error.inner_text()
    assert "timestamp" in error.inner_text()
