"""Training: ``TrainConfig`` + presets, the loop (``train``), phases, EMA, checkpoints, distributed helpers."""

from ganforge.train.config import TrainConfig
from ganforge.train.loop import RunResult, train
from ganforge.train.presets import PRESETS, Preset, list_presets, resolve_config

__all__ = ["TrainConfig", "train", "RunResult", "PRESETS", "Preset", "list_presets", "resolve_config"]
