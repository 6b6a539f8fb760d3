"""Known data-set layouts: Taobao UserBehavior, OTTO sessions, MovieLens (RecBole atomic and classic CSV).

Each preset returns raw rows with canonical column names (and ``source_row``), ready for ``normalize``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.errors import DataError
from engine.data.readers import read_delimited, read_jsonl
from engine.data.schema import SOURCE_ROW

TAOBAO_COLUMNS = ["user_id", "item_id", "category", "event_type", "timestamp"]
# Licences that ask for attribution wherever the data is shown.
ATTRIBUTIONS = {
    "otto": (
        "OTTO session data: © OTTO (GmbH & Co KG), licensed CC BY 4.0 "
        "(https://github.com/otto-de/recsys-dataset)"
    ),
}
LIKE_RATING = 4.0  # MovieLens: a rating of 4 or 5 says the user liked the movie; lower is a plain view


def read_taobao(path: Path) -> pd.DataFrame:
    """UserBehavior.csv: no header; user, item, category, pv|cart|fav|buy, unix seconds."""
    frame = read_delimited(path, header=False, names=TAOBAO_COLUMNS)
    if frame[TAOBAO_COLUMNS].isna().all(axis=0).any():
        raise DataError(
            "expected 5 columns: user, item, category, behavior, timestamp", path=str(path), row=1
        )
    return frame


def read_otto(path: Path) -> pd.DataFrame:
    """OTTO JSONL: one session per line, {"session": id, "events": [{"aid", "ts" (ms), "type"}]}.

    The session becomes both ``user_id`` and ``session_id``; ``source_row`` is the session's line.
    """
    users, items, times, kinds, rows = [], [], [], [], []
    for number, record in read_jsonl(path):
        events = record.get("events")
        if "session" not in record or not isinstance(events, list):
            raise DataError(
                "an OTTO line needs 'session' and an 'events' list",
                path=str(path),
                row=number,
                column="events",
            )
        for event in events:
            if not isinstance(event, dict):
                raise DataError("each event must be an object", path=str(path), row=number, column="events")
            users.append(record["session"])
            items.append(event.get("aid"))
            times.append(event.get("ts"))
            kinds.append(event.get("type"))
            rows.append(number)
    frame = pd.DataFrame({"user_id": users, "item_id": items, "timestamp": times, "event_type": kinds})
    frame["session_id"] = frame["user_id"]
    frame[SOURCE_ROW] = rows
    return frame


def _ratings_to_events(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """rating >= 4 -> like, else view. Without ratings (implicit feedback) every row is a view."""
    if "rating" not in frame.columns:
        if "event_type" not in frame.columns:
            frame["event_type"] = "view"
        return frame
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    if rating.isna().any():
        row = int(frame.loc[rating.isna(), SOURCE_ROW].iloc[0])
        raise DataError("rating is not a number", path=str(path), row=row, column="rating")
    frame["event_type"] = np.where(rating >= LIKE_RATING, "like", "view")
    return frame


def _attach_items(frame: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Join item names and genres; the first genre is ``category``, all genres are ``categories``."""
    items = items.drop_duplicates("item_id")
    genres = items["genres"].fillna("").str.split()
    items = items.assign(
        category=genres.str[0],
        categories=genres.str.join("|").replace("", None),
    )[["item_id", "item_name", "category", "categories"]]
    return frame.merge(items, on="item_id", how="left", sort=False)


def read_movielens(path: Path) -> pd.DataFrame:
    """MovieLens as RecBole atomic files (``X.inter`` + ``X.item``) or ``ratings.csv`` + ``movies.csv``.

    ``path`` may be the folder or the interactions file. Rating >= 4 becomes ``like``, others ``view``.
    """
    folder = path if path.is_dir() else path.parent
    inter = path if path.is_file() else next(iter(sorted(folder.glob("*.inter"))), folder / "ratings.csv")
    if not inter.exists():
        raise DataError("no MovieLens interactions found (expected X.inter or ratings.csv)", path=str(path))
    if inter.suffix == ".inter":
        frame = read_delimited(inter, header=True).rename(columns=str.lower)
        frame = _ratings_to_events(frame, inter)
        item_file = inter.with_suffix(".item")
        if item_file.exists():
            items = read_delimited(item_file, header=True).rename(
                columns={"movie_title": "item_name", "class": "genres"}
            )
            if "release_year" in items.columns:
                year = items["release_year"].fillna("")
                items["item_name"] = items["item_name"].where(
                    year == "", items["item_name"] + " (" + year + ")"
                )
            frame = _attach_items(frame, items)
        return frame
    frame = read_delimited(inter, header=True).rename(columns={"userId": "user_id", "movieId": "item_id"})
    frame = _ratings_to_events(frame, inter)
    movies = folder / "movies.csv"
    if movies.exists():
        items = read_delimited(movies, header=True).rename(
            columns={"movieId": "item_id", "title": "item_name"}
        )
        items["genres"] = (
            items["genres"].fillna("").str.replace("(no genres listed)", "").str.replace("|", " ")
        )
        frame = _attach_items(frame, items)
    return frame


def attribution(preset: str | None, head: bytes = b"") -> str | None:
    """The attribution a data set's licence asks for: by ``preset``, or, when none was given, from the
    file's first bytes (an OTTO JSONL line holds "session" and "events", as auto-detection reads it)."""
    if preset is None and b'"session"' in head[:4096] and b'"events"' in head[:4096]:
        preset = "otto"
    return ATTRIBUTIONS.get(preset or "")


PRESET_READERS = {"taobao": read_taobao, "otto": read_otto, "movielens": read_movielens}
