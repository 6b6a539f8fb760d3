"""Optional sign-in: off without an [auth] secret (the demo never asks), on with one (no page runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def test_with_auth_secrets_the_visitor_must_sign_in(
    small_events_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-secret",
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://example.invalid/.well-known/openid-configuration",
    }
    at.switch_page("views/seed.py").run()
    assert not at.exception
    assert any(b.label == "Sign in" for b in at.button)
    assert not at.latex  # the page did not run
    assert not at.sidebar.radio  # nor the data picker


def test_without_auth_secrets_nothing_asks(small_events_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEREST_REPLAY_DATA", str(small_events_csv))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("views/seed.py").run()
    assert not any(b.label == "Sign in" for b in at.button)
    assert at.latex
