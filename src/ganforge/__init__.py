"""ganforge: train, evaluate and explore GANs, with StyleGAN2 at the heart (pure PyTorch)."""

from ganforge.config import Config
from ganforge.data import ImageDataset, InfiniteSampler, bundled_dataset_path, convert_dataset
from ganforge.inference import NetworkFile, generate_images, load, open_networks
from ganforge.models import (
    build_discriminator,
    build_generator,
    list_models,
    model_config,
    model_config_from_dict,
)
from ganforge.models.stylegan2 import Discriminator, Generator, StyleGAN2Config
from ganforge.registry import Registry
from ganforge.train import TrainConfig, train
from ganforge.version import __version__

__all__ = [
    "__version__", "Config", "Registry", "StyleGAN2Config", "Generator", "Discriminator",
    "build_generator", "build_discriminator", "list_models", "model_config", "model_config_from_dict",
    "open_networks", "load", "NetworkFile", "generate_images",
    "ImageDataset", "InfiniteSampler", "convert_dataset", "bundled_dataset_path",
    "TrainConfig", "train",
]
