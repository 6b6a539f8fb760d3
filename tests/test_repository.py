"""The repository itself: no merge left half done in any tracked text file (a README once shipped one)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
TEXT = (".py", ".md", ".toml", ".js", ".txt", ".cfg", ".yml", ".yaml", "Makefile", ".sh", "run")


def _tracked() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no tracked-file list to read")
    return [ROOT / name for name in listed.stdout.splitlines() if name.endswith(TEXT)]


def test_no_merge_conflict_markers() -> None:
    files = _tracked()
    assert len(files) > 50
    left = [
        str(p.relative_to(ROOT))
        for p in files
        if p.is_file() and MARKER.search(p.read_text(errors="replace"))
    ]
    assert left == []
