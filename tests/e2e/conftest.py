"""A real dashboard server and a real headless Chromium for the browser tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


HOSTILE_NAME = '<img src=x onerror="alert(1)"> Deal & *bold* </script>'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def e2e_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data generated small, so the server starts fast."""
    from engine.data.synthetic import SyntheticConfig, generate
    from engine.data.writer import save_events, save_truth

    path = tmp_path_factory.mktemp("e2e") / "events.parquet"
    timeline, truth = generate(SyntheticConfig(n_users=40, n_items=300, n_categories=8, days=20, seed=3))
    events = timeline.events
    busiest = events["user_id"].value_counts().index[0]
    first_item = events.loc[events["user_id"] == busiest, "item_id"].iloc[0]
    # a hostile name on the busiest user's first item: every view must show it as text, never run it
    events.loc[events["item_id"] == first_item, "item_name"] = HOSTILE_NAME
    save_events(timeline, path)
    save_truth(truth, path.with_name("events.truth.json"))
    return path


@pytest.fixture(scope="session")
def hostile_name() -> str:
    """The item name that ``e2e_events`` plants: every view must show it as text."""
    return HOSTILE_NAME


@contextlib.contextmanager
def serve(events: Path, *options: str) -> Iterator[str]:
    """A dashboard server on a free port reading ``events`` as its demo data, with extra command-line
    ``options`` (e.g. "--server.maxUploadSize", "1"); its URL."""
    port = _free_port()
    env = {**os.environ, "INTEREST_REPLAY_DATA": str(events)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / "dashboard" / "app.py"),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        *options,
    ]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            proc.kill()
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"dashboard did not start on {url}:\n{out[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def serve_dashboard() -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``serve`` for a test that needs its own server: ``with serve_dashboard(path, *options) as url``."""
    return serve


@pytest.fixture(scope="session")
def server(e2e_events: Path) -> Iterator[str]:
    with serve(e2e_events) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 2200})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
