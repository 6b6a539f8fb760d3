"""Session-state keys (per-user state lives in st.session_state, never in a cached resource)."""

DATA_SOURCE = "data_source"  # "demo" or "upload"
UPLOAD = "upload_file"
PRESET = "upload_preset"
COLUMN_MAP = "upload_column_map"
EVENT_MAP = "upload_event_map"

DEMO = "Embedded demo data (synthetic, planted drift)"
UPLOADED = "Upload an events file"
NO_PRESET = "auto-detect"

# Replay page (the URL carries user and step: ?user=...&step=...)
USER = "user"
STEP = "step"
PSEUDONYMISE = "pseudonymise"
PLAYING = "playing"
USER_SEARCH = "user_search"
USER_PAGE = "user_page"
EVENT_TYPES = "event_types"
DATES = "dates"
MAX_NODES = "max_nodes"
K = "k"

# What-if page (the user is state.USER, shared with Replay); these survive switching pages
WHATIF_OWNER = "whatif_owner"  # (data fingerprint, user) the edited table belongs to
WHATIF_TABLE = "whatif_table"  # the edited timeline table, as last seen in the editor
WHATIF_BASE = "whatif_base"  # the table the current editor started from (its edits are relative to it)
WHATIF_VERSION = "whatif_version"  # a new editor (a new widget key) after a reset, an import, a return
WHATIF_REPLAYED = "whatif_replayed"  # the edits JSON last replayed ("Replay edited")
WHATIF_STEP = "whatif_step"  # the shared step of the side-by-side view (original steps)
WHATIF_STEP_SLIDER = "whatif_step_slider"
WHATIF_IMPORT = "whatif_import"  # the file uploader
WHATIF_IMPORTED = "whatif_imported"  # (file id, error or None) of the last import handled


def whatif_editor(version: int) -> str:
    """The key of the What-if data editor: a new one starts from ``WHATIF_BASE`` with no edits."""
    return f"whatif_editor_{version}"
