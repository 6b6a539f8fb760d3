"""The Projector export: one vectors row and one metadata row per catalogue item, names kept on one row."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np

from engine import api
from engine.replay.model import ReplayModel
from engine.replay.projector import projector_files, tsv_cell


def test_the_zip_holds_one_row_per_item_in_catalogue_order(replay_model: ReplayModel) -> None:
    with zipfile.ZipFile(io.BytesIO(api.projector_zip(replay_model))) as archive:
        assert sorted(archive.namelist()) == ["metadata.tsv", "vectors.tsv"]
        vectors = archive.read("vectors.tsv").decode()
        metadata = archive.read("metadata.tsv").decode().splitlines()
    z = replay_model.checkpoint.item_embeddings.detach().cpu().numpy()
    values = np.loadtxt(io.StringIO(vectors), delimiter="\t", ndmin=2)
    assert values.shape == z.shape == (replay_model.n_items, z.shape[1])
    np.testing.assert_allclose(values, z, rtol=1e-5, atol=1e-6)
    assert metadata[0] == "item_id\tname\tcategory"
    rows = [line.split("\t") for line in metadata[1:]]
    assert len(rows) == replay_model.n_items
    assert all(len(r) == 3 for r in rows)
    assert [r[0] for r in rows] == list(replay_model.catalogue)


def test_tabs_and_line_breaks_in_names_do_not_split_rows(replay_model: ReplayModel) -> None:
    hostile = ("a\tb\nc", "=SUM(A1)\r\nx", "\u2028line", *replay_model.names[3:])
    model = dataclasses.replace(replay_model, names=hostile)
    metadata = projector_files(model)["metadata.tsv"].splitlines()
    assert len(metadata) == 1 + replay_model.n_items
    assert metadata[1].split("\t")[1] == "a b c"
    assert metadata[2].split("\t")[1] == "=SUM(A1)  x"
    assert tsv_cell("plain name") == "plain name"
