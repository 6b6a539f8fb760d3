"""Replay: users' events through a trained model, in batch (final states) or step by step (a trace)."""
