import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # The feature networks' many small convs are dominated by OpenMP barriers when the 2 cores are busy:
    # 1 thread is up to ~50x faster than 2 there. Restored after each module.
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
