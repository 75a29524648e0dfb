"""The golden runs (tests/train/golden.py) still train bit-identically: weights, logged losses, sample grid."""

from __future__ import annotations

import json

import pytest

from tests.train import golden

RECORD = json.loads(golden.DIGESTS.read_text())


@pytest.mark.parametrize("name", sorted(golden.RUNS))
def test_golden_run_is_bit_identical(name, tmp_path):
    if RECORD["environment"] != golden.environment():
        pytest.skip(f"golden digests were recorded with {RECORD['environment']}, this is {golden.environment()}")
    assert golden.run_digest(name, tmp_path) == RECORD["runs"][name]
