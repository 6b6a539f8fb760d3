"""Where a fit stands after each epoch (best score, best weights, history), saved and read back.

A resume file holds plain tensors, numbers and strings only: it is read with ``weights_only=True`` and
never unpickled, since a resume file is untrusted input like any other.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from engine.data.errors import DataError
from engine.model.config import ModelConfig
from engine.training.config import TrainConfig

log = logging.getLogger(__name__)
# settings a resumed run may change: more epochs, or progress bars on/off
RESUMABLE_CHANGES = ("epochs", "progress")


@dataclass(frozen=True)
class FitProgress:
    """After ``epoch`` epochs: the best validation score so far and that epoch's weights, the epochs
    since it (``bad``) and one record per epoch."""

    epoch: int = 0
    best_score: float = -math.inf
    best_state: dict[str, torch.Tensor] | None = None
    bad: int = 0
    history: tuple[dict[str, float], ...] = ()

    def after_epoch(self, record: dict[str, float], model: torch.nn.Module, keep: bool) -> FitProgress:
        """The progress once ``record``'s epoch is over; ``keep`` makes its weights the best."""
        score = record["val_ndcg"]
        if keep:
            state = copy.deepcopy(model.state_dict())
            return replace(self, epoch=self.epoch + 1, best_score=score, best_state=state, bad=0,
                           history=(*self.history, record))  # fmt: skip
        return replace(self, epoch=self.epoch + 1, bad=self.bad + 1, history=(*self.history, record))


def _settings(model_config: ModelConfig, config: TrainConfig) -> dict[str, Any]:
    return {
        "model_config": model_config.to_dict(),
        "train_config": {k: v for k, v in config.to_dict().items() if k not in RESUMABLE_CHANGES},
    }


def save_progress(
    path: Path,
    progress: FitProgress,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    fingerprint: str,
    model_config: ModelConfig,
    config: TrainConfig,
) -> None:
    """Write ``progress`` with the current weights and optimizer state; atomic, so an interrupted save
    never leaves a broken resume file."""
    payload = {
        "fingerprint": fingerprint,
        "model_config": model_config.to_dict(),
        "train_config": config.to_dict(),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": progress.epoch,
        "best_score": progress.best_score,
        "best_state": progress.best_state,
        "bad": progress.bad,
        "history": list(progress.history),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_progress(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    fingerprint: str,
    model_config: ModelConfig,
    config: TrainConfig,
) -> FitProgress:
    """Load the weights and optimizer state of ``path`` into ``model``/``optimizer``; its progress.

    Raises DataError when the file is not a resume file or was written for other data or settings.
    """
    try:
        payload = torch.load(path, map_location=next(model.parameters()).device, weights_only=True)
    except Exception as err:
        raise DataError(
            f"{path}: not a resume file written by `train` (read as plain tensors only); "
            "delete it to start over"
        ) from err
    written = {
        "model_config": payload.get("model_config"),
        "train_config": {
            k: v for k, v in payload.get("train_config", {}).items() if k not in RESUMABLE_CHANGES
        },
    }
    if payload.get("fingerprint") != fingerprint or written != _settings(model_config, config):
        raise DataError(
            f"{path}: this resume file was written for other data or settings; delete it to start over"
        )
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    log.info("resuming after epoch %d", payload["epoch"])
    return FitProgress(
        epoch=int(payload["epoch"]),
        best_score=float(payload["best_score"]),
        best_state=payload["best_state"],
        bad=int(payload["bad"]),
        history=tuple(payload["history"]),
    )
