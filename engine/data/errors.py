"""The one exception type for bad input data."""

from __future__ import annotations


class DataError(ValueError):
    """Input data that cannot be turned into a valid timeline.

    The message names the file, the 1-based data row (header not counted) and the column where known,
    e.g. ``events.csv, row 12, column 'timestamp': cannot parse 'yesterday' as a time``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = message
        self.path = path
        self.row = row
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason
