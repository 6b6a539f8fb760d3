"""What-if: edit one user's timeline, replay it, and compare the two traces step by step.

Edits change the memory's path, not the item side: item embeddings are fixed per checkpoint.
"""

from engine.whatif.apply import EditedTimeline, apply_edits
from engine.whatif.compare import Comparison, compare
from engine.whatif.edits import Edit, edits_to_json, parse_edits
from engine.whatif.overlap import jaccard, rbo

__all__ = [
    "Comparison",
    "Edit",
    "EditedTimeline",
    "apply_edits",
    "compare",
    "edits_to_json",
    "jaccard",
    "parse_edits",
    "rbo",
]
