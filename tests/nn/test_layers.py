import math

import pytest
import torch
import torch.nn.functional as F

from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.minibatch_std import MinibatchStdLayer
from ganforge.nn.pixel_norm import PixelNorm, normalize_2nd_moment
from ganforge.nn.shape import assert_shape


def test_fully_connected_runtime_gains():
    layer = FullyConnectedLayer(16, 8, activation="linear", lr_multiplier=0.01, bias_init=0.5)
    # Stored N(0,1)/lr_mul; the effective initial bias is bias_init.
    assert 50 < layer.weight.std().item() < 200
    x = torch.randn(4, 16)
    ref = x @ (layer.weight * 0.01 / math.sqrt(16)).t() + layer.bias * 0.01
    torch.testing.assert_close(layer(x), ref)
    torch.testing.assert_close(layer.bias * layer.bias_gain, torch.full([8], 0.5))
    lrelu = FullyConnectedLayer(16, 8, activation="lrelu")
    torch.testing.assert_close(lrelu(x), F.leaky_relu(x @ (lrelu.weight / 4).t(), 0.2) * math.sqrt(2))


def test_conv_layer_runtime_gain_and_clamp():
    layer = Conv2dLayer(4, 6, 3, activation="lrelu", conv_clamp=0.3)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(2, 4, 8, 8)
    ref = F.leaky_relu(F.conv2d(x, layer.weight / math.sqrt(4 * 9), layer.bias, padding=1), 0.2) * math.sqrt(2)
    torch.testing.assert_close(layer(x), ref.clamp(-0.3, 0.3))
    with torch.no_grad():  # in-place epilogue in inference gives the same values
        torch.testing.assert_close(layer(x), ref.clamp(-0.3, 0.3))
    assert Conv2dLayer(4, 6, 3, down=2)(x).shape == (2, 6, 4, 4)
    assert Conv2dLayer(4, 6, 1, up=2, bias=False)(x).shape == (2, 6, 16, 16)


def test_minibatch_std_hand_computed():
    # Group size 2, N=4: groups {0, 2} and {1, 3} (strided). Features are constant per sample.
    vals = torch.tensor([0.0, 1.0, 4.0, 3.0])
    x = vals.reshape(4, 1, 1, 1).expand(4, 2, 3, 3).clone()
    y = MinibatchStdLayer(group_size=2, num_channels=1)(x)
    assert y.shape == (4, 3, 3, 3)
    std02 = math.sqrt(4 + 1e-8)  # |0 - 4| / 2, population std
    std13 = math.sqrt(1 + 1e-8)  # |1 - 3| / 2
    expected = torch.tensor([std02, std13, std02, std13])
    torch.testing.assert_close(y[:, 2, 0, 0], expected)
    torch.testing.assert_close(y[:, :2], x)


def test_minibatch_std_errors():
    with pytest.raises(ValueError, match="divisible by the group size"):
        MinibatchStdLayer(group_size=4)(torch.zeros(6, 2, 2, 2))
    with pytest.raises(ValueError, match="num_channels"):
        MinibatchStdLayer(group_size=2, num_channels=3)(torch.zeros(4, 2, 2, 2))


def test_pixel_norm_unit_rms():
    x = torch.randn(5, 32) * 7
    y = normalize_2nd_moment(x)
    torch.testing.assert_close(y.square().mean(dim=1), torch.ones(5))
    torch.testing.assert_close(PixelNorm()(x[:, :, None, None])[:, :, 0, 0], y)


def test_assert_shape_names_argument():
    assert_shape(torch.zeros(2, 3), [None, 3])
    with pytest.raises(ValueError, match=r"z must have shape \[\*, 4\], got \[2, 3\]"):
        assert_shape(torch.zeros(2, 3), [None, 4], "z")
