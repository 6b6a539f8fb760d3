"""Exports of a trace for analysts: a zip of its Parquet folder, and CSV safe to open in a spreadsheet."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from engine.replay.trace import Trace

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def trace_zip(trace: Trace) -> bytes:
    """The trace's Parquet folder (tables + meta.json) as zip bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = trace.save(Path(tmp) / "trace")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, f"trace/{path.name}")
        return buffer.getvalue()


def neutralise(value: object) -> object:
    """Text starting like a formula gets a leading apostrophe (OWASP's CSV-injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv(table: pd.DataFrame) -> str:
    """CSV of ``table`` with every formula-like text cell neutralised (numbers are left as they are)."""
    text_columns = [
        c for c in table.columns if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])
    ]
    safe = table.copy()
    for column in text_columns:
        safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False)
