"""The one place a device name (``auto``, ``cpu``, ``cuda``) becomes a torch device.

torch is imported inside :func:`resolve_device`, so command lines can offer :data:`DEVICES` as choices
without loading torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.data.errors import DataError

if TYPE_CHECKING:
    import torch

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cpu``; ``cuda`` (a clear DataError without a GPU).

    Any other name is a DataError naming the choices, raised before any work starts.
    """
    import torch

    if name not in DEVICES:
        raise DataError(f"unknown device {name!r}; choose from {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DataError("device 'cuda' was asked for, but no CUDA device is available; use auto or cpu")
    return torch.device(name)
