"""Segments and trends: users clustered by their state at a time, and rising / fading categories."""
