"""Self-supervised training of the interest model: next-interaction prediction over the event stream."""

from engine.training.config import TrainConfig
from engine.training.trainer import TrainedModel, Trainer

__all__ = ["TrainConfig", "TrainedModel", "Trainer"]
