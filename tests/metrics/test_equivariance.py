"""EQ-T / EQ-T_frac / EQ-R: high on a hand-built equivariant generator, low on one tied to the pixel grid; names;
the image-space transforms they compare against."""

import math

import pytest
import torch

from ganforge.metrics.equivariance import equivariance_psnr, psnr_db, rotate_images, translate_images
from ganforge.metrics.names import parse_metric
from ganforge.metrics.registry import MetricOptions, compute_metrics
from ganforge.models.network import GeneratorCaps, GeneratorNetwork
from ganforge.models.stylegan3.fourier import user_transform

RES = 32


class _Mapping(torch.nn.Module):
    def forward(self, z, c=None, **_):
        return z.unsqueeze(1)  # ws [N, 1, z_dim]


class _Synthesis(torch.nn.Module):
    """Images ``sum_k a_k(w) sin(2 pi f_k . (T p) + phi_k)``: a continuous, band-limited (|f| <= RES / 4) signal
    sampled at pixel centres ``p`` (image units, y down) after the input transform ``T``."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        g = torch.Generator().manual_seed(0)
        radius, angle = RES / 4 * torch.rand(16, generator=g).sqrt(), torch.rand(16, generator=g) * 2 * math.pi
        self.register_buffer("freqs", torch.stack([radius * angle.cos(), radius * angle.sin()], 1))  # [K, 2]
        self.register_buffer("phases", torch.rand(16, generator=g))
        self.register_buffer("texture", torch.randn(1, 3, RES, RES, generator=g) * 0.3)
        self.register_buffer("transform", torch.eye(3))

    def forward(self, ws, **_):
        t = (torch.arange(RES) + 0.5 - RES / 2) / RES
        p = torch.stack(torch.broadcast_tensors(t[None, :], t[:, None]), -1)  # [H, W, 2] = (x, y)
        T = torch.eye(3) if self.mode == "ignores" else self.transform
        q = p @ T[:2, :2].t() + T[:2, 2]
        waves = torch.sin(2 * math.pi * (q @ self.freqs.t() + self.phases))  # [H, W, K]
        amps = ws[:, 0, :16].reshape(-1, 1, 16)  # [N, 1, K]
        img = torch.einsum("hwk,nck->nchw", waves, amps.expand(-1, 3, -1)) / 8
        return img + self.texture if self.mode == "sticky" else img


class HandBuiltG(GeneratorNetwork):
    def __init__(self, mode: str):
        super().__init__()
        self.z_dim, self.c_dim, self.img_resolution, self.img_channels = 16, 0, RES, 3
        self.mapping, self.synthesis = _Mapping(), _Synthesis(mode)

    @property
    def capabilities(self):
        return GeneratorCaps(has_mapping=True, has_input_transform=True, num_ws=1, w_dim=16)

    def set_transform(self, translate=(0.0, 0.0), rotate_deg=0.0):
        self.synthesis.transform.copy_(user_transform(translate, rotate_deg))


@pytest.mark.parametrize("kind,floor", [("eqt_int", 100.0), ("eqt_frac", 60.0), ("eqr", 45.0)])  # measured 155, 95, 62
def test_equivariant_map_scores_high_and_pixel_bound_maps_low(kind, floor):
    good = equivariance_psnr(HandBuiltG("equivariant"), kind, 8, batch_size=4)
    sticky = equivariance_psnr(HandBuiltG("sticky"), kind, 8, batch_size=4)  # content moves, a texture stays
    frozen = equivariance_psnr(HandBuiltG("ignores"), kind, 8, batch_size=4)  # nothing moves
    assert good > floor and sticky < 20 and frozen < 15  # measured ~14 and ~12


def test_image_transforms():
    img = torch.randn(2, 3, 16, 16)
    moved, mask = translate_images(img, torch.tensor([[2.0, -1.0], [0.0, 3.0]], dtype=torch.float64), integer=True)
    assert torch.allclose(moved[0, :, :15, 2:], img[0, :, 1:, :14], atol=1e-6)  # content moved right 2, up 1
    assert mask[0, 0].sum() == 15 * 14 and mask[1, 0, :3].sum() == 0
    smooth = _Synthesis("equivariant")(torch.ones(1, 1, 16))[:, :1]  # band-limited: |f| <= res / 4
    half, m = translate_images(smooth, torch.tensor([[0.5, 0.0]], dtype=torch.float64), integer=False)
    back, m2 = translate_images(half, torch.tensor([[-0.5, 0.0]], dtype=torch.float64), integer=False)
    inner = (m * m2).bool()[0, 0] & torch.roll((m * m2).bool()[0, 0], 1, 1)
    assert (back - smooth)[0, 0][inner].abs().max() < 0.05 * smooth.abs().max()
    rotated, mask = rotate_images(smooth, torch.tensor([90.0]))
    assert ((rotated - torch.rot90(smooth, 1, (2, 3))) * mask).abs().max() < 0.05 * smooth.abs().max()
    assert psnr_db(4.0, 1.0) == 0.0 and psnr_db(0.04, 1.0) == pytest.approx(20.0)


def test_names_and_registry():
    for name, kind, n in (("eqt50k_int", "eqt_int", 50_000), ("eqt50k_frac", "eqt_frac", 50_000),
                          ("eqr50k", "eqr", 50_000), ("eqt1k_int", "eqt_int", 1000), ("eqr200", "eqr", 200)):
        spec = parse_metric(name)
        assert (spec.kind, spec.num_gen, spec.max_real, spec.lower_is_better) == (kind, n, 0, False)
    with pytest.raises(ValueError, match="eqt<N>k_{int,frac}, eqr<N>k"):
        parse_metric("eqt50k")
    record = compute_metrics(["eqt8_int"], HandBuiltG("equivariant"), MetricOptions(batch_size=4))[0]
    assert record["results"]["eqt8_int"] > 60 and record["protocol"]["units"] == "dB"
    with pytest.raises(ValueError, match="need a generator that can move its input"):
        equivariance_psnr(torch.nn.Identity(), "eqr", 2)
