"""`train` and `recommend`: the scripting contract (files, CSV layout, order, exit codes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import torch

from engine.cli.main import main
from engine.training.planted import PlantedConfig, planted_frame

EVENTS_COLUMNS = ["user_id", "item_id", "timestamp", "event_type", "category"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("cli")
    frame = planted_frame(PlantedConfig(users=40))
    frame[EVENTS_COLUMNS].to_csv(folder / "events.csv", index=False)  # the plain CSV of the contract
    code = main(["train", "--events", str(folder / "events.csv"), "--out", str(folder / "model.pt"),
                 "--epochs", "2", "--seed", "1", "--device", "cpu", "--quiet"])  # fmt: skip
    assert code == 0
    yield folder
    torch.set_num_threads(before)


def test_train_writes_a_checkpoint_and_no_partial_file(workdir: Path) -> None:
    assert (workdir / "model.pt").stat().st_size > 0
    assert not (workdir / "model.pt.partial").exists()


def _recommend(workdir: Path, users: str, events: str = "events.csv", k: int = 5) -> pd.DataFrame:
    (workdir / "users.txt").write_text(users)
    code = main(
        ["recommend", "--model", str(workdir / "model.pt"), "--events", str(workdir / events),
         "--users", str(workdir / "users.txt"), "--k", str(k), "--out", str(workdir / "recs.csv")]
    )  # fmt: skip
    assert code == 0
    return pd.read_csv(workdir / "recs.csv", dtype={"user_id": str, "item_id": str})


def test_recommend_writes_the_contract_csv(workdir: Path) -> None:
    recs = _recommend(workdir, "u003\n\nnobody\n  u001  \n")
    assert list(recs.columns) == ["user_id", "rank", "item_id", "score"]
    assert list(dict.fromkeys(recs["user_id"])) == ["u003", "nobody", "u001"]  # file order, blanks skipped
    for _, group in recs.groupby("user_id", sort=False):
        assert group["rank"].tolist() == list(range(1, 6))
        assert group["score"].is_monotonic_decreasing
    frame = planted_frame(PlantedConfig(users=40))
    seen = set(frame.loc[frame["user_id"] == "u003", "item_id"])
    assert not seen & set(recs.loc[recs["user_id"] == "u003", "item_id"])


def test_unknown_user_gets_the_cold_start_list_with_ties_by_item_id(workdir: Path) -> None:
    recs = _recommend(workdir, "nobody\nstranger\n", k=8)
    a = recs[recs["user_id"] == "nobody"][["item_id", "score"]].reset_index(drop=True)
    b = recs[recs["user_id"] == "stranger"][["item_id", "score"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    for score, group in a.groupby("score", sort=False):
        assert group["item_id"].tolist() == sorted(group["item_id"]), score


def test_recommend_replays_new_users_and_new_items(workdir: Path) -> None:
    frame = planted_frame(PlantedConfig(users=40))[EVENTS_COLUMNS]
    extra = pd.DataFrame(
        [("fresh", "i010", 1_600_000_000, "view", "genre1"),
         ("fresh", "brand-new", 1_600_000_060, "purchase", "genre1")],
        columns=EVENTS_COLUMNS,
    )  # fmt: skip
    pd.concat([frame, extra]).to_csv(workdir / "more.csv", index=False)
    recs = _recommend(workdir, "fresh\n", events="more.csv", k=200)
    assert not {"i010", "brand-new"} & set(recs["item_id"])  # the user's own items are excluded
    assert len(recs) == 60 + 1 - 2  # every other item, the new one included


def _exit_code(argv: list[str]) -> int:
    """main()'s return value, or the code of the SystemExit argparse raises for bad usage."""
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def test_exit_codes(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events, model = str(workdir / "events.csv"), str(workdir / "model.pt")
    (workdir / "users.txt").write_text("u001\n")
    users, out = str(workdir / "users.txt"), str(workdir / "x.csv")
    assert (
        _exit_code(["train", "--events", str(workdir / "missing.csv"), "--out", str(workdir / "m.pt")]) == 2
    )
    assert _exit_code(["train", "--events", events, "--out", str(workdir / "m.pt"), "--epochs", "0"]) == 2
    assert _exit_code(["train", "--events", events, "--out", str(workdir / "no" / "m.pt")]) == 2
    if not torch.cuda.is_available():
        assert (
            _exit_code(["train", "--events", events, "--out", str(workdir / "m.pt"), "--device", "cuda"]) == 2
        )
    base = ["recommend", "--events", events, "--users", users, "--out", out]
    assert _exit_code([*base, "--model", str(workdir / "absent.pt")]) == 2
    (workdir / "junk.pt").write_text("junk")
    assert _exit_code([*base, "--model", str(workdir / "junk.pt")]) == 2
    assert _exit_code([*base, "--model", model, "--k", "0"]) == 2
    other = planted_frame(PlantedConfig(users=5))[EVENTS_COLUMNS]
    other["item_id"] = "sku-" + other["item_id"]  # a different shop: no item in common
    other.to_csv(workdir / "other.csv", index=False)
    capsys.readouterr()
    code = _exit_code(
        [
            "recommend",
            "--events",
            str(workdir / "other.csv"),
            "--users",
            users,
            "--out",
            out,
            "--model",
            model,
        ]
    )
    assert code == 2
    assert "other data" in capsys.readouterr().err
