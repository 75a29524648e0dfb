import pytest

from tests.conftest import single_thread

# The feature networks' many small convs are dominated by OpenMP barriers when the 2 cores are busy:
# 1 thread is up to ~50x faster than 2 there. Restored after each module.
_one_thread = pytest.fixture(scope="module", autouse=True)(single_thread)
