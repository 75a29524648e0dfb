"""``keep_freed_memory``: large freed blocks are reused instead of being page-faulted again (glibc)."""

import os
import subprocess
import sys

import pytest

from ganforge.utils import allocator

_PROBE = """
import resource
from ganforge.utils.allocator import keep_freed_memory
applied = keep_freed_memory()
def touch():
    return bytearray(b"\\x01") * (64 << 20)  # 64 MiB, every page written
b = touch(); del b
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = touch(); del b
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _probe(setting: str) -> tuple[bool, int]:
    env = dict(os.environ, **{allocator.ENV_VAR: setting})
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True).stdout
    applied, faults = out.split()
    return applied == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_second_large_allocation_reuses_pages():
    applied, faults = _probe("1")
    if not applied:
        pytest.skip("not glibc")
    _, faults_default = _probe("0")
    # 64 MiB is 16 384 pages of 4 KiB: glibc's default maps and faults them again, the tuned heap reuses them.
    assert faults < 1000 < faults_default


def test_environment_variable_disables(monkeypatch):
    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.setenv(allocator.ENV_VAR, "0")
    assert allocator.keep_freed_memory() is False
    assert allocator._applied is False  # remembered: later calls do not apply it either
    assert allocator.keep_freed_memory() is False
