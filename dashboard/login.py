"""Optional sign-in with st.login (OpenID Connect): on only when .streamlit/secrets.toml has an [auth]
section, so a local `make demo` never asks. Per-visitor identity lives in st.user (a cookie)."""

from __future__ import annotations

import streamlit as st

from dashboard.replay_view import plain


def configured() -> bool:
    """Whether secrets configure an OIDC provider (an [auth] section); False without a secrets file."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all: Streamlit raises on first access
        return False


def require() -> bool:
    """True when the visitor may see the app: login is off, or they are signed in. Otherwise a sign-in
    button is shown and False returned (the caller stops)."""
    if not configured():
        return True
    if st.user.get("is_logged_in", False):  # an empty st.user (no cookie yet) is signed out
        with st.sidebar:
            who = st.user.get("email") or st.user.get("name") or "you"
            st.caption(f"Signed in as {plain(who)}")
            st.button("Sign out", on_click=st.logout)
        return True
    st.header("Interest Replay")
    st.info("This dashboard is shared: sign in to continue.")
    st.button("Sign in", type="primary", on_click=st.login)
    return False
