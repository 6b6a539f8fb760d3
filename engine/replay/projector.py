"""Item embeddings in the TensorBoard Embedding Projector's format: ``vectors.tsv`` + ``metadata.tsv``.

``vectors.tsv``: one row per catalogue item (index order), its ``d`` embedding values tab-separated, no
header. ``metadata.tsv``: a header ``item_id<TAB>name<TAB>category`` and then one row per item in the same
order (the Projector needs the header as soon as there is more than one column). Text from the data has
its tabs, newlines and carriage returns replaced by spaces, so each item stays one row of three cells.
Load both files at projector.tensorflow.org ("Load") or in TensorBoard's projector plugin.
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np

from engine.replay.model import ReplayModel

METADATA_COLUMNS = ("item_id", "name", "category")
_BREAKS = re.compile(r"[\t\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")  # anything str.splitlines would break on


def tsv_cell(text: object) -> str:
    """``text`` as one TSV cell: every tab and line break (any that splits a line) becomes a space."""
    return _BREAKS.sub(" ", str(text))


def projector_files(model: ReplayModel) -> dict[str, str]:
    """``{"vectors.tsv": ..., "metadata.tsv": ...}`` of the checkpoint's item embeddings ``z`` [n, d]
    (the vectors the scores are the cosine of), rows in catalogue order."""
    z = model.checkpoint.item_embeddings.detach().cpu().numpy().astype(np.float32)  # [n_items, d]
    vectors = io.StringIO()
    np.savetxt(vectors, z, fmt="%.6g", delimiter="\t")
    rows = ["\t".join(METADATA_COLUMNS)]
    for item, name, category in zip(model.catalogue, model.names, model.categories, strict=True):
        rows.append("\t".join(tsv_cell(v) for v in (item, name or item, category)))
    return {"vectors.tsv": vectors.getvalue(), "metadata.tsv": "\n".join(rows) + "\n"}


def projector_zip(model: ReplayModel) -> bytes:
    """:func:`projector_files` as the bytes of a zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in projector_files(model).items():
            archive.writestr(name, text)
    return buffer.getvalue()
