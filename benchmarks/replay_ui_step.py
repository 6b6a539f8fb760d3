"""Replay page step latency in a real browser: slider step -> Streamlit rerun done and graph drawn.

Starts the dashboard on the default data (trains its model first if needed), opens Replay in headless
Chromium, presses the right arrow on the Step slider 50 times and measures, per step, the time until
the step caption shows the new step, the graph has drawn that step (vis-network ``afterDrawing`` after the
step's nodes went in: ``drawnStep`` in the graph page) and every chart carries that step's mark (the step
bridge's ``__replayMarked``). Reports p50/p95, the load average, and the CPU time per step of the server and
of the browser (what the page costs, apart from waiting for a core when the machine is shared). Target
(issue 8): p95 <= 300 ms.
Appends a dated section to ``benchmarks/results/replay_ui_step.md`` (or ``--out``); the file is a log and
is never rewritten. Run: `.venv/bin/python benchmarks/replay_ui_step.py`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
DRAWN = """(step) => {
    const f = document.querySelector('iframe');
    const w = f && f.contentWindow;
    const now = window.__replayStep;
    return !!(w && w.drawnStep === step && now && now.step === step && window.__replayMarked === now.stamp);
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds (user + system) of the server process ``root`` and of the Chromium processes this one
    started."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    used: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        used[int(entry)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    out = {"server": 0.0, "browser": 0.0}
    for pid, (name, seconds) in used.items():
        ancestor = parent.get(pid, 0)
        while ancestor not in (0, 1, root, os.getpid()):
            ancestor = parent.get(ancestor, 0)
        if pid == root:
            out["server"] += seconds
        elif ancestor == os.getpid() and "chrom" in name:
            out["browser"] += seconds
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "results" / "replay_ui_step.md"),
        help="results file the run's section is appended to",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from engine import api

    data = api.ensure_default_data()
    timeline = api.load_timeline(data)
    if not api.model_path(timeline).exists():
        api.train_model(timeline, api.model_path(timeline), api.DEMO_CUT_QUANTILE)
    port = free_port()
    app = str(ROOT / "dashboard" / "app.py")
    flags = ["--server.headless", "true", "--server.fileWatcherType", "none", "--server.address", "127.0.0.1"]
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", app, *flags, "--server.port", str(port)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?step=0")
            page.get_by_text("Why these items").wait_for()
            page.wait_for_function(DRAWN, arg=0)
            slider = page.get_by_role("slider", name="Step")
            times = []
            cpu_before = cpu_seconds(server.pid)
            for step in range(1, args.steps + 1):
                slider.focus()
                started = time.perf_counter()
                page.keyboard.press("ArrowRight")
                page.get_by_text(f"Step {step} ·", exact=False).first.wait_for()
                page.wait_for_function(DRAWN, arg=step)
                times.append(time.perf_counter() - started)
            cpu_after = cpu_seconds(server.pid)
            browser.close()
    finally:
        server.terminate()
    ms = np.array(times) * 1000
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    line = (
        f"| {args.steps} steps | p50 {np.percentile(ms, 50):.0f} ms | p95 {np.percentile(ms, 95):.0f} ms | "
        f"max {ms.max():.0f} ms | {load} |"
    )
    cpu = ", ".join(f"{k} {(cpu_after[k] - cpu_before[k]) * 1000 / args.steps:.0f} ms" for k in cpu_before)
    line += f" {cpu} |"
    print(line)
    # the results file is a log of curated sections: a run adds its own section at the end, never rewrites it
    out = Path(args.out)
    title = "# Replay page: slider step -> rerun done and graph drawn (headless Chromium, default data)\n"
    with out.open("a") as log:
        if out.stat().st_size == 0:
            log.write(title)
        log.write(
            f"\n## {time.strftime('%Y-%m-%d %H:%M')}: `benchmarks/replay_ui_step.py --steps {args.steps}`\n\n"
            "On this machine (2 shared CPU cores; the browser, the server and the benchmark share them).\n\n"
            "| steps | p50 | p95 | max | load average (1/5/15 min) at the end | CPU per step |\n"
            "|---|---|---|---|---|---|\n" + line + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
