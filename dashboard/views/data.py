"""Data: what the loaded events hold, and everything validation dropped or repaired."""

import streamlit as st

from dashboard import figures, service, sidebar

st.header("Data")
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

st.subheader("Events per day")
st.plotly_chart(figures.events_per_day(view.daily), width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Event types")
    st.plotly_chart(figures.event_mix(summary["event_types"]), width="stretch")
with right:
    st.subheader("Events per user")
    st.plotly_chart(figures.events_per_user(view.events_per_user), width="stretch")

st.subheader("Top categories")
if view.top_categories.empty:
    st.caption("This data has no categories.")
else:
    st.dataframe(view.top_categories, hide_index=True, width="stretch")

report = view.report
st.subheader("Validation report")
if report["rows_dropped"] == 0 and not report["repaired"]:
    st.success(f"All {report['rows_read']:,} rows were valid; nothing was dropped or repaired.")
else:
    st.warning(
        f"{report['rows_dropped']:,} of {report['rows_read']:,} rows dropped. Every one is counted below."
    )
st.code(view.report_text, language=None)
