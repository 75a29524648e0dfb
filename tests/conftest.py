import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def single_thread():
    """Fixture body (``pytest.fixture(autouse=True)(single_thread)``): torch on one thread, restored after.

    Many small convs are dominated by OpenMP barriers when the 2 cores are busy: 1 thread is much faster there."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def device():
    return torch.device("cpu")


# Tiny StyleGAN2 kwargs shared by the model tests (channels 4-16, res <= 32).
TINY_G = dict(z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)
TINY_D = dict(channel_base=128, channel_max=16)
