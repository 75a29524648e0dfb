"""The rFID / rKID network: our FID Inception-v3 architecture with seeded random weights (no download).

Random-init feature spaces evaluate generative models usefully (Lee, Kim & Lee, AAAI 2023), and StyleGAN-XL reports
``rfid50k_full`` with a fixed random Inception next to FID. Here the weights are *generated*, not shipped: a pinned
sha256 of the state dict (``tests/metrics/test_random_inception.py``) guards against any drift.

Generation (platform independent; only IEEE-exact arithmetic, no transcendental functions):

1. Tensors are visited in ``FIDInceptionV3().state_dict()`` order; each gets its own stream
   ``numpy.random.Generator(PCG64(SeedSequence([seed, k])))`` where ``k`` is the first 8 bytes (little endian)
   of ``sha256(tensor_name)``; ``Generator.random`` maps raw 64-bit draws to float64 in [0, 1) as
   ``(bits >> 11) * 2**-53``, which is the same on every platform.
2. Conv weights: He-uniform for ReLU, ``w = (2u - 1) * sqrt(6 / fan_in)`` in float64, then rounded to float32
   (variance ``2 / fan_in``, so activations neither vanish nor explode through the 94 layers; PyTorch's default
   init shrinks pool3 features to ~1e-8, REFERENCE §4b).
3. BatchNorm: weight 1, bias 0, running mean 0, running var 1 (the layer is then ``x / sqrt(1 + 1e-3)``).
4. ``fc``: uniform with unit gain, ``(2u - 1) * sqrt(3 / 2048)``, bias 0 (logits are unused by rFID).

Absolute rFID values have no meaning across feature spaces: report them as a ratio to a real-vs-real floor at the
same N, and standardise features per dimension with the *real* set's statistics before KID or precision/recall
(``ganforge.metrics.standardize``; the polynomial kernel's ``+1`` otherwise swamps small features, REFERENCE §4b/§4c).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from ganforge.backbones.inception import FIDInceptionV3
from ganforge.backbones.registry import register_backbone
from ganforge.backbones.weights import state_dict_sha256

__all__ = [
    "RANDOM_INCEPTION_SEED",
    "RANDOM_INCEPTION_SHA256",
    "random_inception_state_dict",
    "random_inception",
    "state_dict_sha256",
]

RANDOM_INCEPTION_SEED = 20231108
"""The fixed seed of ganforge's rFID network; changing it changes every rFID/rKID number."""

RANDOM_INCEPTION_SHA256 = "f10f42e3389ca18e219a6e826f23e0d571d063788b81608993df3cbd0b88ff0a"
"""``state_dict_sha256(random_inception_state_dict(RANDOM_INCEPTION_SEED))``, pinned once (torch 2.13, x86-64) and
recorded in every rFID/rKID result; a test recomputes it."""


def _uniform(name: str, seed: int, numel: int) -> np.ndarray:
    name_key = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, name_key])))
    return rng.random(numel, dtype=np.float64)


def random_inception_state_dict(seed: int = RANDOM_INCEPTION_SEED) -> dict[str, torch.Tensor]:
    """Generate the seeded state dict of ``FIDInceptionV3`` on CPU (float32 weights), as the module doc describes.

    Args:
        seed: Non-negative integer seed.

    Returns:
        A state dict that loads strictly into ``FIDInceptionV3``.
    """
    with torch.device("meta"):
        template = FIDInceptionV3().state_dict()
    state: dict[str, torch.Tensor] = {}
    for name, ref in template.items():
        shape = tuple(ref.shape)
        leaf = name.rsplit(".", 1)[-1]
        if name.endswith("num_batches_tracked"):
            state[name] = torch.zeros((), dtype=torch.long)
            continue
        if ".bn." in name:
            fill = 1.0 if leaf in ("weight", "running_var") else 0.0
            state[name] = torch.full(shape, fill, dtype=torch.float32)
            continue
        if leaf == "bias":
            state[name] = torch.zeros(shape, dtype=torch.float32)
            continue
        fan_in = int(np.prod(shape[1:]))
        gain_sq = 1.0 if name == "fc.weight" else 2.0
        bound = np.sqrt(3.0 * gain_sq / fan_in)
        values = (2.0 * _uniform(name, seed, int(np.prod(shape))) - 1.0) * bound  # float64
        state[name] = torch.from_numpy(values.astype(np.float32).reshape(shape))
    return state


def random_inception(
    seed: int = RANDOM_INCEPTION_SEED, resize: bool = True, device: str | torch.device = "cpu"
) -> FIDInceptionV3:
    """The rFID/rKID feature network: uint8 ``[N, 3, H, W]`` -> ``[N, 2048]`` (same recipe as FID).

    Args:
        seed: Weight seed; keep the default to compare with other ganforge rFID numbers.
        resize: TF1 resize to 299 (the FID recipe); ``False`` runs at the input size (>= 75 px).
        device: Device for the weights (they are always generated on CPU).
    """
    with torch.device("meta"):
        net = FIDInceptionV3(resize=resize)
    net.load_state_dict(random_inception_state_dict(seed), strict=True, assign=True)
    return net.to(device).eval()


@register_backbone("random_inception", description="FID Inception-v3 with seeded random weights (rFID/rKID), no file")
def _build_random_inception(weights: None, device: torch.device, seed: int = RANDOM_INCEPTION_SEED,
                            resize: bool = True) -> FIDInceptionV3:
    return random_inception(seed=seed, resize=resize, device=device)
