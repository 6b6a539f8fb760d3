"""What-if: edit one user's timeline, replay it, and compare the two traces step by step.

Edits change the memory's path, not the item side: item embeddings are fixed per checkpoint.
"""

from engine.whatif.apply import EditedTimeline, apply_edits
from engine.whatif.edits import Edit, edits_to_json, parse_edits

__all__ = ["Edit", "EditedTimeline", "apply_edits", "edits_to_json", "parse_edits"]
