"""Interest Replay engine: data, interest graph, attention GNN, replay, metrics and a typed API.

Importing the package does no work: no data is read and no model is loaded.
"""

__version__ = "0.1.0"
