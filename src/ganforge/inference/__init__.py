"""ganforge.inference: functions on a loaded generator (``load``, ``generate_images``)."""

from ganforge.inference.generate import class_labels, generate_images
from ganforge.inference.loaded import NETWORK_LOADERS, LoadedGAN, load, resolve_network

__all__ = ["load", "LoadedGAN", "NETWORK_LOADERS", "resolve_network", "generate_images", "class_labels"]
