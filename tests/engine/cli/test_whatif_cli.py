"""`python -m engine whatif`: writes the comparison (and both traces); bad edits, user, model or output:
exit 2, one line, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.data.timeline import Timeline
from engine.replay.trace import Trace
from engine.whatif.compare import PER_STEP_COLUMNS


def run_whatif(
    model: Path, events: Path, user: str, edits: Any, out: Path, *extra: str, tmp: Path
) -> int:  # fmt: skip
    edits_path = tmp / "edits.json"
    edits_path.write_text(edits if isinstance(edits, str) else json.dumps(edits))
    return main(["whatif", "--model", str(model), "--events", str(events), "--user", user,
                 "--edits", str(edits_path), "--out", str(out), *extra])  # fmt: skip


def user_steps(timeline: Timeline, user: str) -> int:
    return int((timeline.events["user_id"] == user).sum())


def test_whatif_writes_the_comparison_and_both_traces(
    replay_checkpoint: Path, events_file: Path, replay_data: Timeline, busiest_user: str,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    n = user_steps(replay_data, busiest_user)
    edits = [{"op": "delete", "step": 3}, {"op": "retype", "step": 5, "event_type": "purchase"}]
    out, traces = tmp_path / "diff.json", tmp_path / "traces"
    code = run_whatif(replay_checkpoint, events_file, busiest_user, edits, out,
                      "--traces", str(traces), "--k", "5", tmp=tmp_path)  # fmt: skip
    assert code == 0
    diff = json.loads(out.read_text())
    assert diff["user"] == busiest_user
    assert diff["k"] == 5
    assert diff["edits"] == edits
    summary = diff["summary"]
    assert summary["first_edit"] == 3
    assert (summary["original_steps"], summary["edited_steps"]) == (n, n - 1)
    assert 0.0 < summary["stability"] <= 1.0
    assert summary["trace_a"]["steps"] == n
    assert summary["trace_b"]["steps"] == n - 1
    assert set(diff["per_step"]) == set(PER_STEP_COLUMNS)
    assert diff["per_step"]["aligned"][3] is False  # the deleted step has no counterpart
    assert diff["per_step"]["rbo"][:3] == pytest.approx([1.0, 1.0, 1.0])  # nothing changes before it
    original, edited = Trace.load(traces / "original"), Trace.load(traces / "edited")
    assert (original.n_steps, edited.n_steps) == (n, n - 1)
    assert edited.steps["event_type"].iloc[4] == "purchase"  # old step 5 is step 4 after the delete
    assert diff["traces"] == {"original": str(traces / "original"), "edited": str(traces / "edited")}
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"what-if for {busiest_user}: 2 edit(s), first change at step 3" in err


def test_no_edits_compare_the_trace_with_itself(
    replay_checkpoint: Path, events_file: Path, busiest_user: str, tmp_path: Path
) -> None:
    out = tmp_path / "diff.json"
    assert run_whatif(replay_checkpoint, events_file, busiest_user, [], out, tmp=tmp_path) == 0
    diff = json.loads(out.read_text())
    assert diff["summary"]["first_edit"] is None
    assert diff["summary"]["stability"] == 0.0
    assert diff["summary"]["gained"] == diff["summary"]["lost"] == []
    assert diff["traces"] is None
    assert set(diff["per_step"]["rbo"]) == {1.0}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("edit_step", "edit 2 (delete step 99999): step 99999 is out of range"),
        ("edit_json", "edits.json: edits: not valid JSON"),
        ("edit_op", "edits.json: edit 1 (explode step 1): unknown op 'explode'"),
        ("edit_type", "edit 1 (retype step 1): unknown event type 'teleport'"),
        ("user", "user 'nobody' is not in the timeline"),
        ("model", "not a model checkpoint"),
        ("out_folder", "--out: the folder"),
        ("out_suffix", "must be a file ending in .json"),
        ("traces_file", "--traces: "),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    change: str, message: str, replay_checkpoint: Path, events_file: Path, busiest_user: str,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    model, user, out, traces = replay_checkpoint, busiest_user, tmp_path / "diff.json", tmp_path / "traces"
    edits: Any = [{"op": "retype", "step": 1, "event_type": "cart"}]
    if change == "edit_step":
        edits = [edits[0], {"op": "delete", "step": 99999}]
    elif change == "edit_json":
        edits = '[{"op": "delete", "step": 1'
    elif change == "edit_op":
        edits = [{"op": "explode", "step": 1}]
    elif change == "edit_type":
        edits = [{"op": "retype", "step": 1, "event_type": "teleport"}]
    elif change == "user":
        user = "nobody"
    elif change == "model":
        model = tmp_path / "model.pt"
        model.write_bytes(b"not a checkpoint")
    elif change == "out_folder":
        out = tmp_path / "missing" / "diff.json"
    elif change == "out_suffix":
        out = tmp_path / "diff.txt"
    else:
        traces.mkdir()
        (traces / "edited").write_text("a file where a trace folder goes")
    code = run_whatif(model, events_file, user, edits, out, "--traces", str(traces), tmp=tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()
    assert not (traces / "original").exists()


def test_a_missing_edits_file_is_named(
    replay_checkpoint: Path, events_file: Path, busiest_user: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "diff.json"
    missing = tmp_path / "nowhere.json"
    code = main(["whatif", "--model", str(replay_checkpoint), "--events", str(events_file),
                 "--user", busiest_user, "--edits", str(missing), "--out", str(out)])  # fmt: skip
    assert code == 2
    assert f"--edits: {missing} is not a file" in capsys.readouterr().err
    assert not out.exists()
