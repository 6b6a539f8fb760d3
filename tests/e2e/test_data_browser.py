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


def test_a_wrong_type_is_refused_with_a_message(page, server: str, tmp_path: Path, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + bytes(2048))
    page.goto(f"{server}/data")
    page.get_by_text("Validation report").wait_for()
    page.get_by_text("Upload an events file").click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Accepted: .csv, .tsv, .txt, .parquet").wait_for()
    page.locator('input[type="file"]').set_input_files(str(program))
    refused = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(
        has_text="setup.exe is not a file type the app reads"
    )
    refused.wait_for()
    assert ".csv, .tsv, .txt, .parquet" in refused.inner_text()  # what it does read
    assert page.get_by_text("Cannot use this file").count() == 0  # refused before any reading
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.screenshot(path=str(artifacts / "upload-wrong-type.png"), full_page=True)


def test_a_file_over_the_size_limit_is_refused_with_a_message(  # type: ignore[no-untyped-def]
    browser, e2e_events: Path, serve_dashboard, tmp_path: Path, artifacts: Path
) -> None:
    big = tmp_path / "big.csv"
    row = "u1,i1,2024-01-01T00:00:00Z,view\n"
    big.write_text("user_id,item_id,timestamp,event_type\n" + row * (2 * 2**20 // len(row) + 1))
    assert big.stat().st_size > 2**20
    with serve_dashboard(e2e_events, "--server.maxUploadSize", "1") as url:  # a 1 MB limit
        context = browser.new_context(viewport={"width": 1400, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{url}/data")
        page.get_by_text("Validation report").wait_for()
        page.get_by_text("Upload an events file").click()
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("at most 1 MB").wait_for()
        page.locator('input[type="file"]').set_input_files(str(big))
        chip = sidebar.locator('[data-testid="stFileChip"][aria-invalid="true"]')
        chip.wait_for()  # the browser refused it: the chip turns red, nothing is sent
        chip.hover()
        tooltip = page.get_by_role("tooltip").filter(has_text="File must be 1.0MB or smaller")
        tooltip.wait_for()
        assert tooltip.is_visible()
        assert page.get_by_text("Upload an events file in the sidebar").is_visible()  # nothing was loaded
        assert page.get_by_text("Cannot use this file").count() == 0
        page.wait_for_timeout(600)  # the tooltip fades in
        page.screenshot(path=str(artifacts / "upload-too-big.png"))  # the viewport, tooltip shown
        context.close()
