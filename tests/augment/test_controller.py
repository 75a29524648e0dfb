"""The ADA p controller: direction, step size, clamping, purity; the sign accumulator."""

import math

import pytest
import torch

from ganforge.augment import accumulate_signs, ada_adjust, overfit_heuristic


def test_p_moves_up_when_rt_exceeds_the_target_and_down_otherwise():
    step = 32 * 4 / (500 * 1000)  # batch * interval / (ada_kimg * 1000)
    assert ada_adjust(0.5, 0.7, target=0.6, batch=32, interval=4, ada_kimg=500) == pytest.approx(0.5 + step, abs=0)
    assert ada_adjust(0.5, 0.2, target=0.6, batch=32, interval=4, ada_kimg=500) == pytest.approx(0.5 - step, abs=0)
    assert ada_adjust(0.5, 0.6, target=0.6, batch=32, interval=4, ada_kimg=500) == 0.5


def test_step_size_is_independent_of_how_far_rt_is_from_the_target():
    a = ada_adjust(0.3, 0.61, target=0.6, batch=16, interval=4, ada_kimg=10)
    b = ada_adjust(0.3, 1.0, target=0.6, batch=16, interval=4, ada_kimg=10)
    assert a == b == pytest.approx(0.3 + 64 / 10_000)


def test_p_is_clamped_to_the_unit_interval():
    assert ada_adjust(0.0, -1.0, batch=64, interval=4, ada_kimg=1) == 0.0
    assert ada_adjust(0.999, 1.0, batch=64, interval=4, ada_kimg=1) == 1.0


def test_p_goes_from_zero_to_one_in_ada_kimg():
    p, nimg = 0.0, 0
    while p < 1.0:
        p = ada_adjust(p, 0.9, batch=16, interval=4, ada_kimg=2)
        nimg += 16 * 4
    assert nimg == pytest.approx(2000, abs=64)


def test_pure_function_and_nan_keeps_p():
    args = dict(target=0.6, batch=8, interval=4, ada_kimg=5)
    assert ada_adjust(0.25, 0.9, **args) == ada_adjust(0.25, 0.9, **args)
    assert ada_adjust(0.25, float("nan"), **args) == 0.25
    with pytest.raises(ValueError, match="ada_kimg"):
        ada_adjust(0.1, 0.9, batch=8, ada_kimg=0)


def test_sign_accumulator():
    acc = torch.zeros([2], dtype=torch.float64)
    acc = accumulate_signs(acc, torch.tensor([[2.0], [-0.5], [3.0]]))
    acc = accumulate_signs(acc, torch.tensor([[1.0], [4.0]]))
    assert acc.tolist() == [3.0, 5.0]
    assert overfit_heuristic(acc) == pytest.approx(0.6)
    assert math.isnan(overfit_heuristic(torch.zeros([2], dtype=torch.float64)))
