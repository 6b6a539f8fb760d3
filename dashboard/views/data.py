"""Data: what the loaded events hold, and everything validation dropped or repaired. A Parquet file of more
than ``api.LARGE_PARQUET_ROWS`` events is summarised from the file in parts instead of being loaded."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, exports, figures, service, sidebar
from dashboard.replay_view import plain
from engine import api

st.header("Data")
view: api.DatasetOverview | api.FileSummary | None = None
large = sidebar.large_parquet()
if large is not None:
    name, source, key = large
    try:
        view = analysis.file_summary(name, source, key)
    except api.DataError as err:
        st.caption(f"This large file cannot be summarised in parts ({plain(err)}); it is loaded instead.")
    else:
        st.info(
            f"{view.summary['events']:,} events, more than {api.LARGE_PARQUET_ROWS:,}: this summary is read "
            "from the file in parts (pyarrow record batches), never as one table in memory, and without "
            "the loader's validation.",
            icon=":material/database:",
        )
if view is None:
    timeline = sidebar.current_timeline()
    if timeline is None:
        st.stop()
    view = service.overview(timeline, timeline.fingerprint())

summary = view.summary
st.caption(f"Source: `{summary['source']}`")

cols = st.columns(5)
cols[0].metric("Users", f"{summary['users']:,}")
cols[1].metric("Items", f"{summary['items']:,}")
cols[2].metric("Categories", f"{summary['categories']:,}")
cols[3].metric("Events", f"{summary['events']:,}")
cols[4].metric("Time span", f"{summary['days']:.1f} days")
start, end = (summary[k][:16].replace("T", " ") for k in ("start", "end"))
st.caption(f"From {start} to {end} UTC")

charts = {
    "events per day": figures.events_per_day(view.daily),
    "event types": figures.event_mix(summary["event_types"]),
    "events per user": figures.events_per_user(view.events_per_user),
}
st.subheader("Events per day")
st.plotly_chart(charts["events per day"], width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Event types")
    st.plotly_chart(charts["event types"], width="stretch")
with right:
    st.subheader("Events per user")
    st.plotly_chart(charts["events per user"], width="stretch")
exports.figure_export(charts, "data_fig", "data-")

st.subheader("Top categories")
if view.top_categories.empty:
    st.caption("This data has no categories.")
else:
    st.dataframe(view.top_categories, hide_index=True, width="stretch")
    exports.csv_button(view.top_categories, "top-categories", "top_categories_csv")

st.subheader("Validation report")
if not isinstance(view, api.DatasetOverview):  # a large file's summary
    st.caption(
        "Not validated here: a file this size is counted as it is. The loader checks every row (and "
        "reports what it drops) when a page that replays loads the events."
    )
    st.stop()
report = view.report
if report["rows_dropped"] == 0 and not report["repaired"]:
    st.success(f"All {report['rows_read']:,} rows were valid; nothing was dropped or repaired.")
else:
    st.warning(
        f"{report['rows_dropped']:,} of {report['rows_read']:,} rows dropped. Every one is counted below."
    )
st.code(view.report_text, language=None)
