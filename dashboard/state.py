"""Session-state keys (per-user state lives in st.session_state, never in a cached resource)."""

DATA_SOURCE = "data_source"  # "demo" or "upload"
UPLOAD = "upload_file"
PRESET = "upload_preset"
COLUMN_MAP = "upload_column_map"
EVENT_MAP = "upload_event_map"

DEMO = "Embedded demo data (synthetic, planted drift)"
UPLOADED = "Upload an events file"
NO_PRESET = "auto-detect"

# Seed example page
SEED_ALPHA_BOOK = "seed_alpha_book"
SEED_ALPHA_MOVIE = "seed_alpha_movie"
SEED_W = "seed_w"  # + 1, 2, 3: the diagonal of W

# Segments & trends page
SEG_DAY = "seg_day"  # states stand at the end of this day (UTC)
SEG_K = "seg_k"  # "auto" or a number of segments
SEG_WINDOWS = "seg_windows"  # weekly or N equal windows
SEG_N_WINDOWS = "seg_n_windows"
SEG_TREND_FOR = "seg_trend_for"  # all users or one segment
SEG_OPEN = "seg_open"  # the segment whose users can be opened in Replay
SEG_OPEN_USER = "seg_open_user"

# Metrics page
EVAL_JOB = "eval_job"  # this visitor's background evaluation (dashboard.jobs.Job)
EVAL_PROTOCOL = "eval_protocol"
EVAL_MODELS = "eval_models"
EVAL_KS = "eval_ks"
EVAL_CUT = "eval_cut"
HELDOUT_JOB = "heldout_job"  # this visitor's background per-step replay of the held-out period
HELDOUT_K = "heldout_k"
HELDOUT_METRIC = "heldout_metric"
HELDOUT_X = "heldout_x"

# Models page and the model every page uses
MODEL_CHOICE = "model_choice"  # DEFAULT_MODEL or the name of a registered model
DEFAULT_MODEL = "Default model (trained on first start)"
TRAIN_JOB = "train_job"  # this visitor's background training (dashboard.jobs.Job)
TRAIN_SHOWN = "train_shown"  # start time of the finished run the page last reran for
TRAIN_NAME = "train_name"
TRAIN_CUT = "train_cut"
TRAIN_EPOCHS = "train_epochs"
CHECKPOINT_UPLOAD = "checkpoint_upload"
CHECKPOINT_NAME = "checkpoint_name"

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
EXPLAIN = "explain_item"  # the selectbox of the item whose explanation is shown (an item id)
EXPLAIN_PICK = "explain_pick"  # the item this visitor chose: kept across steps while it is listed
EXPORT_OPEN = "export_open"  # the Export expander: its widgets are made only while it is open

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
