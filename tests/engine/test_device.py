"""One device resolver: auto picks CUDA only when present; a missing GPU or an unknown name is a DataError."""

from __future__ import annotations

import pytest
import torch

from engine.data.errors import DataError
from engine.device import DEVICES, resolve_device


def test_auto_takes_cuda_only_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda") == torch.device("cuda")


def test_cpu_is_always_cpu() -> None:
    assert resolve_device("cpu") == torch.device("cpu")


def test_cuda_without_a_gpu_is_a_clear_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DataError, match="no CUDA device is available"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["gpu", "cuda:0", "", "CPU"])
def test_unknown_names_list_the_choices(name: str) -> None:
    with pytest.raises(DataError, match="choose from auto, cpu, cuda"):
        resolve_device(name)
    assert name not in DEVICES
