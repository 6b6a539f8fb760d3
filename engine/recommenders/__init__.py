"""Recommenders behind one interface: baselines and the GNN are evaluated through the same path."""
