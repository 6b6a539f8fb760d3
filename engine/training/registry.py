"""A small registry of trained models on disk: one JSON index beside the checkpoints it lists.

Each entry names a checkpoint file in the registry's folder with the facts needed to pick one: a name
(text given by the person who trained it), the fingerprint of the data it was trained on, its model and
training config, when it was made, how many events it saw, its best validation NDCG and where it came
from ("trained" here or "uploaded"). Writes go through a lock and an atomic rename, so two sessions
registering at once never leave a half-written index.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.data.errors import DataError

INDEX = "registry.json"
_LOCK = threading.Lock()  # one writer per process; the rename keeps readers of other processes whole
MAX_NAME = 80


@dataclass(frozen=True)
class ModelEntry:
    name: str
    file: str  # checkpoint file name inside the registry folder
    data_fingerprint: str
    created: str  # ISO time, UTC
    source: str = "trained"  # "trained" or "uploaded"
    events: int | None = None  # training events
    val_ndcg: float | None = None  # the best validation NDCG@20 of the fit
    trained_until: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # model and training config

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ModelRegistry:
    """The registry in ``folder`` (created on first write)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @property
    def index(self) -> Path:
        return self.folder / INDEX

    def entries(self) -> list[ModelEntry]:
        """Every entry whose checkpoint file still exists, newest first; [] without an index."""
        if not self.index.exists():
            return []
        try:
            raw = json.loads(self.index.read_text())
            entries = [ModelEntry(**item) for item in raw["models"]]
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(f"the model registry index is damaged: {err}", path=str(self.index)) from None
        alive = [e for e in entries if (self.folder / e.file).exists()]
        return sorted(alive, key=lambda e: e.created, reverse=True)

    def path(self, entry: ModelEntry) -> Path:
        return self.folder / entry.file

    def checkpoint_path(self, name: str) -> Path:
        """A new, unused checkpoint path for a model called ``name``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "model"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        return self.folder / f"{stem}-{stamp}.pt"

    def add(self, entry: ModelEntry) -> ModelEntry:
        """Register ``entry`` (its file must be in the folder); a name already taken is refused."""
        name = entry.name.strip()
        if not name or len(name) > MAX_NAME:
            raise DataError(f"a model name needs 1 to {MAX_NAME} characters")
        if not (self.folder / entry.file).exists():
            raise DataError(f"no checkpoint {entry.file} in the registry folder", path=str(self.folder))
        with _LOCK:
            current = self.entries()
            if any(e.name == name for e in current):
                raise DataError(f"a model named {name!r} is already registered; choose another name")
            entry = ModelEntry(**{**entry.to_dict(), "name": name})
            self._write([entry, *current])
        return entry

    def remove(self, name: str) -> None:
        """Drop the entry called ``name`` and delete its checkpoint."""
        with _LOCK:
            current = self.entries()
            for entry in current:
                if entry.name == name:
                    self.path(entry).unlink(missing_ok=True)
            self._write([e for e in current if e.name != name])

    def _write(self, entries: list[ModelEntry]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"models": [e.to_dict() for e in entries]}, indent=2)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".registry-", suffix=".json")
        with os.fdopen(handle, "w") as out:
            out.write(payload)
        os.replace(temp, self.index)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
