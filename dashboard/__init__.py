"""Streamlit dashboard. Pages describe the UI; logic lives in engine.api behind dashboard.service."""
