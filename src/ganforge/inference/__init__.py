"""ganforge.inference: open a network file (``open_networks``, ``load``) and use its generator
(``generate_images``, truncation)."""

from ganforge.inference.generate import class_labels, generate_images
from ganforge.inference.loaded import load
from ganforge.inference.network_file import NetworkFile
from ganforge.inference.open import NETWORK_READERS, NetworkReader, open_networks, resolve_network
from ganforge.inference.truncation import centroid_truncation, truncate

__all__ = ["open_networks", "load", "NetworkFile", "NETWORK_READERS", "NetworkReader", "resolve_network",
           "generate_images", "class_labels", "truncate", "centroid_truncation"]
