"""StyleGAN3's input: Fourier features (Karras et al. 2021, section 3.1 and appendix F.1).

Instead of StyleGAN2's learned 4x4 constant, the first layer is a continuous signal, ``C`` sinusoids
``sin(2 pi (f_k . p + phi_k))`` with frequencies ``f_k`` drawn uniformly in the disc ``|f| <= bandwidth`` (the first
layer's cutoff) and phases ``phi_k`` uniform, sampled on a grid with ``sampling_rate`` samples per unit (image
coordinates run from -0.5 to 0.5 over the ``img_resolution`` output pixels) and mixed by a learned ``[C, C]`` matrix.

Because the signal is continuous, it can be rotated and translated exactly: a learned affine of the first w gives
``(r_c, r_s, t_x, t_y)``, normalised to a rotation by ``atan2(r_s, r_c)`` and a translation, and a user transform
``transform`` (a ``[3, 3]`` buffer, the identity while training) composes with it. Features are evaluated at
``T p`` for output position ``p`` (homogeneous coordinates), i.e. ``T`` maps output coordinates to input ones, so
``transform = inverse(make_transform(translate, angle))`` moves the image content by ``translate`` and rotates it by
``angle``. Frequencies pushed beyond the band by the transform are faded out before they alias.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganforge.nn.equalized import FullyConnectedLayer
from ganforge.nn.shape import assert_shape


def make_transform(translate: tuple[float, float] = (0.0, 0.0), angle_deg: float = 0.0) -> torch.Tensor:
    """``[3, 3]`` matrix that rotates by ``angle_deg`` (counter-clockwise) and then translates by ``translate`` (in
    image units: 1 = the image width); the input ``transform`` wants its inverse (:func:`user_transform`)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, s, translate[0]], [-s, c, translate[1]], [0.0, 0.0, 1.0]], dtype=torch.float64)


def user_transform(translate: tuple[float, float] = (0.0, 0.0), angle_deg: float = 0.0) -> torch.Tensor:
    """The float32 ``transform`` buffer value that shows the image translated by ``translate`` and rotated."""
    return torch.linalg.inv(make_transform(translate, angle_deg)).float()


class SynthesisInput(torch.nn.Module):
    """Fourier features: ``w [N, w_dim]`` -> ``[N, channels, size, size]``.

    Args:
        w_dim: Width of w.
        channels: Number of sinusoids (and output channels).
        size: Output samples per side (the first layer's sampling rate plus its margins).
        sampling_rate: Samples per unit length.
        bandwidth: Radius of the frequency disc (the first cutoff).
    """

    def __init__(self, w_dim: int, channels: int, size: int, sampling_rate: float, bandwidth: float):
        super().__init__()
        self.w_dim = w_dim
        self.channels = channels
        self.size = int(size)
        self.sampling_rate = float(sampling_rate)
        self.bandwidth = float(bandwidth)
        radius = bandwidth * torch.rand([channels]).sqrt()  # uniform in the disc: P(r) proportional to r
        theta = torch.rand([channels]) * 2 * math.pi
        self.weight = torch.nn.Parameter(torch.randn([channels, channels]))
        self.affine = FullyConnectedLayer(w_dim, 4)
        with torch.no_grad():  # starts as the identity transform: (r_c, r_s, t_x, t_y) = (1, 0, 0, 0)
            self.affine.weight.zero_()
            self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", torch.stack([radius * theta.cos(), radius * theta.sin()], dim=1))  # [C, 2]
        self.register_buffer("phases", torch.rand([channels]) - 0.5)  # [C], in cycles

    def grid(self, device: torch.device | None = None) -> torch.Tensor:
        """Sample positions ``[size]`` along each axis: pixel centres, ``1 / sampling_rate`` apart, centred on 0."""
        return (torch.arange(self.size, dtype=torch.float32, device=device) + 0.5 - self.size / 2) / self.sampling_rate

    def transforms(self, w: torch.Tensor) -> torch.Tensor:
        """``[N, 3, 3]``: the learned rotation and translation of each sample composed with the user transform."""
        t = self.affine(w)  # [N, 4] = (r_c, r_s, t_x, t_y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)  # unit (r_c, r_s): a pure rotation
        N = w.shape[0]
        rot = torch.eye(3, device=w.device).repeat(N, 1, 1)
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        shift = torch.eye(3, device=w.device).repeat(N, 1, 1)
        shift[:, 0, 2], shift[:, 1, 2] = -t[:, 2], -t[:, 3]
        return rot @ shift @ self.transform.unsqueeze(0)

    def features(self, transforms: torch.Tensor) -> torch.Tensor:
        """Unmixed sinusoids ``[N, H, W, C]`` under ``transforms [N, 3, 3]`` (before the learned ``weight``)."""
        # f . (A p + b) + phi = (f A) . p + (f . b + phi): transform the frequencies and phases, not the grid
        phases = self.phases.unsqueeze(0) + (self.freqs.unsqueeze(0) @ transforms[:, :2, 2:]).squeeze(2)  # [N, C]
        freqs = self.freqs.unsqueeze(0) @ transforms[:, :2, :2]  # [N, C, 2]
        # fade out frequencies the transform moved beyond the band, reaching 0 at Nyquist (they would alias)
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        g = self.grid(freqs.device)
        x = g.view(1, 1, -1, 1) * freqs[:, :, 0].view(-1, 1, 1, self.channels)  # f_x * x: [N, 1, W, C]
        x = x + g.view(1, -1, 1, 1) * freqs[:, :, 1].view(-1, 1, 1, self.channels)  # + f_y * y: [N, H, W, C]
        x = torch.sin((x + phases.view(-1, 1, 1, self.channels)) * (2 * np.pi))
        return x * amplitudes.view(-1, 1, 1, self.channels)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """``w [N, w_dim]`` -> ``[N, channels, size, size]``."""
        assert_shape(w, [None, self.w_dim], "w")
        x = self.features(self.transforms(w))  # [N, H, W, C]
        x = x @ (self.weight / math.sqrt(self.channels)).t()
        return x.permute(0, 3, 1, 2)

    def extra_repr(self) -> str:
        return (f"w_dim={self.w_dim}, channels={self.channels}, size={self.size}, "
                f"sampling_rate={self.sampling_rate:g}, bandwidth={self.bandwidth:g}")
