import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def device():
    return torch.device("cpu")


# Tiny StyleGAN2 kwargs shared by the model tests (channels 4-16, res <= 32).
TINY_G = dict(z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)
TINY_D = dict(channel_base=128, channel_max=16)
