"""`python -m engine replay`: writes a trace; bad user, model or output: exit 2, one line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.replay.trace import Trace


def test_replay_writes_a_parquet_trace(
    replay_checkpoint: Path,
    events_file: Path,
    busiest_user: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "trace"
    code = main(["replay", "--model", str(replay_checkpoint), "--events", str(events_file),
                 "--user", busiest_user, "--k", "5", "--out", str(out)])  # fmt: skip
    assert code == 0
    trace = Trace.load(out)
    assert trace.meta["user"] == busiest_user
    assert trace.meta["k"] == 5
    assert trace.recs.groupby("step")["rank"].max().max() == 5
    assert f"of {busiest_user}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("user", "has no events"),
        ("model", "not a model checkpoint"),
        ("out", "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    change: str, message: str, replay_checkpoint: Path, events_file: Path, busiest_user: str,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    model, user, out = replay_checkpoint, busiest_user, tmp_path / "trace.json"
    if change == "user":
        user = "nobody"
    elif change == "model":
        model = tmp_path / "model.pt"
        model.write_bytes(b"not a checkpoint")
    else:
        out = tmp_path / "missing" / "trace.json"
    code = main(
        ["replay", "--model", str(model), "--events", str(events_file), "--user", user, "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_a_model_of_other_data_is_refused(
    replay_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.csv"
    other.write_text("user_id,item_id,timestamp,event_type\nu1,x1,1700000000,view\nu1,x2,1700000100,view\n")
    out = tmp_path / "trace"
    code = main(
        [
            "replay",
            "--model",
            str(replay_checkpoint),
            "--events",
            str(other),
            "--user",
            "u1",
            "--out",
            str(out),
        ]
    )
    assert code == 2
    assert "trained on other data" in capsys.readouterr().err
    assert not out.exists()
