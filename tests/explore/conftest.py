import functools

import pytest
import torch

from ganforge.models import build_discriminator, build_generator, model_config
from tests.conftest import single_thread

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


@functools.lru_cache(maxsize=None)
def _tiny_nets():
    cfg = model_config("stylegan2", **TINY)
    torch.manual_seed(0)
    G = build_generator(cfg).eval().requires_grad_(False)
    D = build_discriminator(cfg).eval().requires_grad_(False)
    with torch.no_grad():  # a plausible w_avg (an untrained net's buffer is all zeros)
        G.mapping.w_avg.copy_(G.mapping(torch.randn(1000, cfg.z_dim), None)[:, 0].mean(0))
    return G, D


@pytest.fixture
def G():
    """Tiny 16 px StyleGAN2 G (num_ws 6, w_dim 16), eval, no grads, zero noise strength (as initialised)."""
    return _tiny_nets()[0]


@pytest.fixture
def D():
    return _tiny_nets()[1]


_one_thread = pytest.fixture(autouse=True)(single_thread)
