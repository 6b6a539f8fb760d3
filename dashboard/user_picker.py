"""The user picker the Replay and What-if pages share: one selection per visitor (``state.USER``)."""

from __future__ import annotations

import streamlit as st

from dashboard import service, state
from dashboard.replay_view import user_label
from engine import api


def pick_user(timeline: api.Timeline) -> tuple[str, dict[str, str] | None]:
    """Search, page and choose a user (most events first); the chosen user and, when pseudonyms are
    shown, the id -> pseudonym map. Choosing another user starts the Replay step at 0."""
    table = service.users(timeline, timeline.fingerprint())
    if st.session_state.get(state.USER) not in set(table["user_id"]):
        wanted = st.query_params.get("user")
        st.session_state[state.USER] = wanted if wanted in set(table["user_id"]) else table["user_id"].iloc[0]

    with st.container(border=True):
        top = st.columns([2, 1, 3, 1.2])
        search = top[0].text_input("Find a user", key=state.USER_SEARCH, placeholder="part of a user id")
        pseudo = top[3].toggle(
            "Pseudonymise", key=state.PSEUDONYMISE, help="show keyed pseudonyms, never ids"
        )
        names = service.pseudonyms(tuple(table["user_id"]), timeline.fingerprint()) if pseudo else None
        shown = table if names is None else table.assign(user_id=table["user_id"].map(names))
        found = api.list_users(shown, search, 0, 50)
        page_no = top[1].number_input(
            f"Page (of {found.pages})", min_value=1, max_value=found.pages, value=1, key=state.USER_PAGE
        )
        found = api.list_users(shown, search, int(page_no) - 1, 50)
        if names is not None:
            back = {v: k for k, v in names.items()}
            options = [back[u] for u in found.users["user_id"]]
        else:
            options = list(found.users["user_id"])
        current = st.session_state[state.USER]
        if current not in options:
            options = [current, *options]
        counts = table.set_index("user_id")
        user = top[2].selectbox(
            f"User ({found.total:,} match, most events first)",
            options,
            index=options.index(current),
            format_func=lambda u: user_label(u, counts, names),
        )
    if user != st.session_state[state.USER]:
        st.session_state[state.USER] = user
        st.session_state[state.STEP] = 0
    st.query_params["user"] = user if names is None else names[user]
    return user, names
