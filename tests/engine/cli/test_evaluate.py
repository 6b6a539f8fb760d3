"""`python -m engine evaluate`: the table, the JSON contract, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli.main import main


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~2,400 events of 50 users over 120 items in 6 categories, with sequential structure."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(50):
        item = int(rng.integers(120))
        for step in range(int(rng.integers(20, 80))):
            item = (item + 1) % 120 if rng.random() < 0.6 else int(rng.integers(120))
            rows.append(
                (f"u{user}", f"i{item}", 1_700_000_000 + user * 7 + step * 3600, "view", f"c{item % 6}")
            )
    path = tmp_path_factory.mktemp("evaluate") / "events.csv"
    pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "event_type", "category"]).to_csv(
        path, index=False
    )
    return path


def test_time_protocol_prints_a_table_and_writes_the_json_contract(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "eval.json"
    code = main(["evaluate", "--events", str(events_csv), "--models", "mostpop,ITEMKNN,seqmarkov",
                 "--json", str(out), "--bootstrap", "50"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "ndcg@20" in printed.out
    assert "ItemKNN" in printed.out
    assert "[" in printed.out  # intervals beside the means
    data = json.loads(out.read_text())
    assert data["protocol"] == "time"
    assert data["k"] == [10, 20]
    assert data["users"] > 0
    assert list(data["models"]) == ["MostPop", "ItemKNN", "SeqMarkov"]
    for metrics in data["models"].values():
        assert {"ndcg@20", "recall@10", "hit_rate@20", "mrr@10", "precision@10", "f1@20"} <= set(metrics)
        assert 0.0 <= metrics["ndcg@20"] <= 1.0
    lo, hi = data["ci"]["SeqMarkov"]["ndcg@20"]
    assert lo <= data["models"]["SeqMarkov"]["ndcg@20"] <= hi
    # the sequential structure is learnable: the Markov chain beats global popularity
    assert data["models"]["SeqMarkov"]["ndcg@20"] > data["models"]["MostPop"]["ndcg@20"]
    # each model against the best baseline: the paired difference and its interval
    assert "Δ ndcg@20 vs best baseline (SeqMarkov)" in printed.out
    assert data["delta_vs_best"]["MostPop"]["model"] == "SeqMarkov"
    delta, lo, hi = data["delta_vs_best"]["MostPop"]["ndcg@20"]
    assert lo <= delta <= hi < 0
    assert data["delta_vs_best"]["SeqMarkov"]["ndcg@20"] == [0.0, 0.0, 0.0]


def test_loo_with_sampled_comparison(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "loo.json"
    code = main(["evaluate", "--events", str(events_csv), "--protocol", "loo", "--k", "5",
                 "--models", "RecentPop", "--sampled", "20", "--bootstrap", "20",
                 "--json", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "sampled comparison" in printed
    assert "file order" in printed  # leave-last-out states how ties are broken
    assert "note: note:" not in printed
    data = json.loads(out.read_text())
    assert data["protocol"] == "loo"
    assert data["k"] == [5]
    assert 0 < data["users"] <= 50  # users whose last item is a repeat are not scored
    assert "sampled_hit_rate@5" in data["sampled"]["RecentPop"]


def test_stream_protocol_reports_event_and_user_averages(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stream.json"
    code = main(["evaluate", "--events", str(events_csv), "--protocol", "stream", "--models",
                 "mostpop,seqmarkov", "--max-events", "60", "--bootstrap", "50",
                 "--json", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "user_ndcg@20" in printed
    data = json.loads(out.read_text())
    assert data["protocol"] == "stream"
    assert data["events"] == 60  # capped by --max-events
    assert data["split"]["skipped_by_cap"] > 0
    assert data["users"] <= 50
    for metrics in data["models"].values():
        assert {"ndcg@20", "user_ndcg@20", "hit_rate@10", "user_hit_rate@10"} <= set(metrics)
    assert data["models"]["SeqMarkov"]["ndcg@20"] > data["models"]["MostPop"]["ndcg@20"]
    assert data["delta_vs_best"]["MostPop"]["model"] == "SeqMarkov"


def test_unknown_model_exits_2_with_one_line(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--events", str(events_csv), "--models", "MostPop,NoSuchModel"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "NoSuchModel" in err
    assert "MostPop" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--k", "0"], "--k"),
        (["--cut", "1.5"], "between 0 and 1"),
        (["--bootstrap", "0"], "--bootstrap"),
        (["--protocol", "loo", "--include-cold"], "--include-cold applies to --protocol time and stream"),
        (["--protocol", "stream", "--sampled", "10"], "--sampled applies to --protocol time and loo"),
    ],
)
def test_bad_options_exit_2(
    events_csv: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main(["evaluate", "--events", str(events_csv), "--models", "mostpop", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--device", "gpu"], "invalid choice: 'gpu'"),
        (["--seed", "-1"], "--seed: expected a whole number >= 0"),
    ],
)
def test_bad_values_are_refused_by_the_parser(
    events_csv: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["evaluate", "--events", str(events_csv), "--models", "mostpop", *flags])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_cuda_without_a_gpu_exits_2_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    missing = tmp_path / "not-there.csv"  # the device is checked first: no file is read
    assert main(["evaluate", "--events", str(missing), "--models", "gru4rec", "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: device 'cuda' was asked for, but no CUDA device is available; use auto or cpu"


def test_no_testable_user_exits_2_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("user_id,item_id,timestamp,event_type\na,x,1,view\nb,y,2,view\nc,z,3,view\n")
    assert main(["evaluate", "--events", str(path), "--cut", "0.5", "--models", "mostpop"]) == 2
    assert "no user with pre-cut history" in capsys.readouterr().err
