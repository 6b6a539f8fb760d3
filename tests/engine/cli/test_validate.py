"""`python -m engine validate`: the summary and report on real files; exit 2 with one line on bad input.

Two tests run the real `python -m engine` in a subprocess; the rest call ``main()`` in-process, because
each CLI start costs seconds (every command module is imported) and the CPUs are shared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data.synthetic import SyntheticConfig, generate
from engine.data.writer import save_events

REPO_ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``main()`` in-process: (exit code, stdout, stderr); argparse's SystemExit becomes the code."""
    try:
        code = main(list(args))
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, stderr: str) -> str:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_taobao_reports_43_users_and_the_dropped_row(shared_data: Path) -> None:
    events = shared_data / "taobao-sample" / "UserBehavior.csv"
    result = run_cli("validate", "--events", str(events), "--preset", "taobao")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^users:\s+43$", out, flags=re.M), out
    assert re.search(r"rows read: 4321\b", out), out
    assert "4171" in out  # the out-of-range row, named
    assert "timestamp" in out
    for kind in ("view", "like", "cart", "purchase"):
        assert kind in out


def test_taobao_json_output(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = shared_data / "taobao-sample" / "UserBehavior.csv"
    code, out, err = run_main(capsys, "validate", "--events", str(events), "--preset", "taobao", "--json")
    assert code == 0, err
    parsed = json.loads(out)
    assert parsed["summary"]["users"] == 43
    assert parsed["report"]["rows_read"] == 4321
    dropped_rows = [row for issue in parsed["report"]["dropped"] for row in issue["example_rows"]]
    assert 4171 in dropped_rows


def test_taobao_without_preset_exits_2_naming_the_preset(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = shared_data / "taobao-sample" / "UserBehavior.csv"
    code, _, err = run_main(capsys, "validate", "--events", str(events))
    assert "--preset taobao" in assert_one_line_error(code, err)


def test_malformed_file_exits_2_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "user_id,item_id,timestamp,event_type\nu1,i1,1700000000,view\nu2,i2,1700000001,view,surplus\n"
    )
    result = run_cli("validate", "--events", str(path))
    line = assert_one_line_error(result.returncode, result.stderr)
    assert line.startswith("error: ")
    assert str(path) in line
    assert "row 2" in line


def test_strict_bad_timestamp_exits_2_naming_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "user_id,item_id,timestamp,event_type\nu1,i1,1700000000,view\nu2,i2,1700000001,view\nu3,i3,soon,view\n"
    )
    code, _, err = run_main(capsys, "validate", "--events", str(path), "--strict")
    line = assert_one_line_error(code, err)
    assert "row 3, column 'timestamp'" in line


@pytest.mark.parametrize(
    "args",
    [
        ["--events", "no/such/file.csv"],
        ["--events", "x.csv", "--preset", "nonsense"],
        ["--events", "x.csv", "--map", "user"],
        [],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _, err = run_main(capsys, "validate", *args)
    assert_one_line_error(code, err)


def test_generated_file_validates_clean_without_preset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timeline, _ = generate(SyntheticConfig(n_users=15, n_items=120, n_categories=5, days=10, seed=2))
    path = save_events(timeline, tmp_path / "synthetic.csv")
    code, out, err = run_main(capsys, "validate", "--events", str(path), "--json")
    assert code == 0, err
    parsed = json.loads(out)
    assert parsed["summary"]["events"] == len(timeline)
    assert parsed["summary"]["users"] == 15
    assert parsed["report"]["rows_dropped"] == 0
