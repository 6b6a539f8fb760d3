"""Segments & trends: users grouped by their interest state at a chosen day; rising / fading categories."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, exports, model_gate, segment_figures, service, sidebar, state
from engine import api

AUTO = "auto (best silhouette, 2–10)"
WEEKLY, EQUAL = "weekly", "equal windows"
ALL_USERS = "all users"
REPLAY_PAGE = "views/replay.py"

st.header("Segments & trends")
timeline = sidebar.current_timeline()
if timeline is None:
    st.stop()
gate = model_gate.current_model(timeline)
if gate is None:
    st.stop()
model, model_key = gate
fingerprint = timeline.fingerprint()

times = timeline.events["timestamp"]
days = list(pd.date_range(times.min().floor("D"), times.max().floor("D"), freq="D").date)
if st.session_state.get(state.SEG_DAY) not in days:  # another data set was loaded
    st.session_state.pop(state.SEG_DAY, None)
with st.container(border=True):
    top = st.columns([3, 1.4, 1.4, 1])
    day = top[0].select_slider(
        "Users' states at the end of",
        days,
        value=days[-1],
        key=state.SEG_DAY,
        format_func=lambda d: f"{d:%d %b %Y}",
        help="each user's state after their events up to the end of this day (UTC)",
    )
    k_choice = top[1].selectbox("Segments", [AUTO, *range(2, 11)], key=state.SEG_K)
    windows_kind = top[2].radio("Trend windows", [WEEKLY, EQUAL], key=state.SEG_WINDOWS, horizontal=True)
    n_windows = top[3].number_input(
        "Windows", 2, 52, 8, key=state.SEG_N_WINDOWS, disabled=windows_kind == WEEKLY
    )

end_of_day = pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
at = None if day == days[-1] else end_of_day.isoformat()
k = None if k_choice == AUTO else int(k_choice)
try:
    found = analysis.segments(model, timeline, model_key, fingerprint, at, k)
except api.DataError as err:
    st.warning(f"No segments at this time: {err}")
    st.stop()

chosen = found.silhouettes.get(found.k)
cols = st.columns(4)
cols[0].metric("Segments", found.k)
cols[1].metric("Users with a state", f"{len(found.users):,}")
cols[2].metric(
    "Silhouette", "–" if chosen is None else f"{chosen:.2f}", help="−1 … 1, higher: better separated"
)
cols[3].metric("k chosen by", found.chosen_by)

map_col, table_col = st.columns([1.1, 1])
with map_col:
    items = service.item_map(model, model_key)
    segment_map = segment_figures.segment_map(found.users, found.segments, items)
    st.plotly_chart(segment_map, width="stretch", key="seg_map")
with table_col:
    st.subheader("Segments", divider="gray")
    segment_table = found.segments[["segment", "users", "share", "top_categories"]]
    st.dataframe(
        segment_table,
        hide_index=True,
        width="stretch",
        column_config={
            "segment": st.column_config.NumberColumn("#", width="small"),
            "users": st.column_config.NumberColumn("users", width="small"),
            "share": st.column_config.ProgressColumn(
                "share", min_value=0.0, max_value=1.0, format="percent", width="small"
            ),
            "top_categories": st.column_config.TextColumn(
                "top categories",
                help="categories of the 50 items the segment's centre ranks first",
                width="large",
            ),
        },
    )
    st.caption(
        "Users are grouped by the direction of their interest state (what the model would recommend them); "
        "a segment's categories are those of the items its centre ranks first."
    )
    exports.csv_button(segment_table, "segments", "seg_csv")

# -- trends ------------------------------------------------------------------------------------------
st.subheader("Rising and fading categories", divider="gray")
segment_ids = found.segments["segment"].tolist()
trend_for = st.selectbox(
    "Trends for",
    [ALL_USERS, *segment_ids],
    key=state.SEG_TREND_FOR,
    format_func=lambda s: s if s == ALL_USERS else f"segment {s}",
)
members = None if trend_for == ALL_USERS else tuple(found.members(int(trend_for)))
windows: str | int = "W" if windows_kind == WEEKLY else int(n_windows)
trend_chart = None
try:
    trend = analysis.trends(timeline, fingerprint, windows, members)
except api.DataError as err:
    st.info(f"No trends to show: {err}")
else:
    rising, fading = trend.rising(5), trend.fading(5)
    trend_chart = segment_figures.trend_lines(
        trend.shares, rising["category"].head(3).tolist(), fading["category"].head(3).tolist()
    )
    st.plotly_chart(trend_chart, width="stretch", key="seg_trends")
    slope_config = {
        "slope": st.column_config.NumberColumn("slope (share / window)", format="%+.4f"),
        "first_share": st.column_config.NumberColumn("first window", format="%.3f"),
        "last_share": st.column_config.NumberColumn("last window", format="%.3f"),
    }
    left, right = st.columns(2)
    left.markdown("**Rising**")
    left.dataframe(rising, hide_index=True, width="stretch", column_config=slope_config)
    with left:
        exports.csv_button(rising, "rising-categories", "rising_csv")
    right.markdown("**Fading**")
    right.dataframe(fading, hide_index=True, width="stretch", column_config=slope_config)
    with right:
        exports.csv_button(fading, "fading-categories", "fading_csv")
    with st.expander("Every category's share per window"):
        st.dataframe(trend.shares, hide_index=True, width="stretch")
        exports.csv_button(trend.shares, "category-shares", "shares_csv")
    n_win = trend.shares["window"].nunique()
    st.caption(
        f"{n_win} {'weekly windows (Monday to Sunday, UTC)' if windows == 'W' else 'equal windows'}; "
        "a category's slope is the least-squares trend of its share of the events over the windows."
    )

figures = {"segment map": segment_map}
if trend_chart is not None:
    figures["category trends"] = trend_chart
exports.figure_export(figures, "seg_fig", "segments-")

# -- open a segment's users in Replay -------------------------------------------------------------------
st.subheader("Open a segment's users in Replay", divider="gray")
pick = st.columns([1, 3, 1])
segment = pick[0].selectbox("Segment", segment_ids, key=state.SEG_OPEN, format_func=lambda s: f"segment {s}")
events_per_user = service.users(timeline, fingerprint).set_index("user_id")["events"]
users = sorted(found.members(int(segment)), key=lambda u: (-int(events_per_user.get(u, 0)), u))
pseudo = st.session_state.get(state.PSEUDONYMISE, False)
names = service.pseudonyms(tuple(events_per_user.index), fingerprint) if pseudo else None
user = pick[1].selectbox(
    f"User ({len(users):,} in this segment, most events first)",
    users,
    key=state.SEG_OPEN_USER,
    format_func=lambda u: f"{names[u] if names else u} · {int(events_per_user.get(u, 0)):,} events",
)
pick[2].write("")  # aligns the button with the select boxes
if pick[2].button("Open in Replay", type="primary", width="stretch") and user is not None:
    st.session_state[state.USER] = user
    st.session_state[state.STEP] = 0
    st.switch_page(REPLAY_PAGE)
st.caption(
    f"States at {'the end of the data' if at is None else f'{day:%d %b %Y}, 23:59 UTC'}, from the model's "
    "batch replay (events on items the model never saw are skipped here; Replay embeds them from their text)."
)
