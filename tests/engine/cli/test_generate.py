"""`python -m engine generate`: writes the events and the truth beside them; exit 2 on bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[3]
SMALL = ["--users", "12", "--items", "80", "--categories", "4", "--days", "10", "--seed", "5"]


def test_writes_csv_and_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.csv"
    assert main(["generate", *SMALL, "--out", str(out)]) == 0
    truth_path = tmp_path / "demo.truth.json"
    assert out.is_file()
    assert truth_path.is_file()
    events = pd.read_csv(out, dtype=str)
    assert events["user_id"].nunique() == 12
    assert events["item_id"].nunique() <= 80
    assert events["category"].nunique() <= 4
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    assert truth["seed"] == 5
    assert truth["config"]["n_users"] == 12
    assert truth["config"]["days"] == 10
    assert set(truth["users"]) == set(events["user_id"])
    printed = capsys.readouterr().out
    assert str(out) in printed
    assert str(truth_path) in printed


def test_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "demo.parquet"
    assert main(["generate", *SMALL, "--out", str(out)]) == 0
    assert pd.read_parquet(out)["user_id"].nunique() == 12
    assert (tmp_path / "sub" / "demo.truth.json").is_file()


def test_same_seed_same_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["generate", *SMALL, "--out", str(a)]) == 0
    assert main(["generate", *SMALL, "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    "bad",
    [
        ["--users", "0"],
        ["--items", "-3"],
        ["--days", "0"],
        ["--items", "2", "--categories", "5"],
    ],
)
def test_bad_sizes_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    out = tmp_path / "demo.csv"
    assert main(["generate", *bad, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_unknown_extension_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.txt"
    assert main(["generate", *SMALL, "--out", str(out)]) == 2
    assert ".csv" in capsys.readouterr().err
    assert not out.exists()
    assert not (tmp_path / "demo.truth.json").exists()


def test_subprocess_writes_both_files(tmp_path: Path) -> None:
    """The real `python -m engine generate` (one start: each costs seconds)."""
    result = subprocess.run(
        [sys.executable, "-m", "engine", "generate", *SMALL, "--out", str(tmp_path / "e.csv")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "e.csv").is_file()
    assert (tmp_path / "e.truth.json").is_file()


@pytest.mark.parametrize(
    "args",
    [["--users", "many", "--out", "never.csv"], SMALL],  # not a number; --out missing
)
def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["generate", *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not Path("never.csv").exists()
