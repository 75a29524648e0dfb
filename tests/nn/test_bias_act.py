import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.nn.bias_act import activation_funcs, bias_act


def test_lrelu_default_gain_and_slope():
    x = torch.tensor([[-2.0, 3.0]])
    b = torch.tensor([1.0, -1.0])
    y = bias_act(x, b, act="lrelu")
    torch.testing.assert_close(y, torch.tensor([[-0.2 * math.sqrt(2), 2 * math.sqrt(2)]]))


@pytest.mark.parametrize("act", sorted(activation_funcs))
def test_every_activation_matches_its_formula(act):
    x = torch.randn(3, 4, 5, 5)
    b = torch.randn(4)
    ref_funcs = {
        "linear": lambda v: v, "relu": F.relu, "lrelu": lambda v: F.leaky_relu(v, 0.2), "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "elu": F.elu, "selu": F.selu, "softplus": F.softplus, "swish": F.silu,
    }
    gain = activation_funcs[act].def_gain
    ref = (ref_funcs[act](x + b.reshape(1, -1, 1, 1)) * gain).clamp(-0.5, 0.5)
    torch.testing.assert_close(bias_act(x, b, act=act, clamp=0.5), ref)
    torch.testing.assert_close(bias_act(x.clone(), b, act=act, clamp=0.5, inplace=True), ref)


def test_bias_along_other_dim_and_errors():
    x = torch.zeros(2, 3)
    torch.testing.assert_close(bias_act(x, torch.tensor([1.0, 2.0]), dim=0), torch.tensor([[1.0] * 3, [2.0] * 3]))
    with pytest.raises(ValueError, match="unknown activation"):
        bias_act(x, act="gelu2")
    with pytest.raises(ValueError, match="b must be"):
        bias_act(x, torch.zeros(5))
