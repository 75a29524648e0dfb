"""StyleGAN3 generator: StyleGAN2's mapping network (2 layers, ``w_avg_beta`` 0.998) + the alias-free synthesis."""

from __future__ import annotations

import torch

from ganforge.models.checks import check_non_negative
from ganforge.models.network import GeneratorCaps, GeneratorNetwork, map_and_synthesize
from ganforge.models.stylegan2.mapping import MappingNetwork
from ganforge.models.stylegan3.fourier import user_transform
from ganforge.models.stylegan3.synthesis import SynthesisNetwork


class Generator(GeneratorNetwork):
    """``G(z, c) -> img``; ``G.mapping`` and ``G.synthesis`` are called separately as in StyleGAN2 (truncation ``psi``
    / ``cutoff``, ``w_avg``). No noise inputs. :meth:`set_transform` moves and rotates what the synthesis shows.

    Args:
        z_dim: Latent width.
        c_dim: Label width.
        w_dim: Width of w.
        img_resolution: Output resolution.
        img_channels: Output channels.
        mapping_layers: Mapping-network depth.
        mapping_lr_multiplier: Its learning-rate multiplier.
        w_avg_beta: Decay of ``w_avg`` (``None``: not tracked).
        channel_base, channel_max, num_layers, num_critical, first_cutoff, first_stopband, last_stopband_rel,
        margin_size, output_scale, conv_kernel, filter_size, lrelu_upsampling, use_radial_filters, conv_clamp,
        magnitude_ema_beta: The synthesis network's (see :class:`SynthesisNetwork`).
    """

    def __init__(self, z_dim: int = 512, c_dim: int = 0, w_dim: int = 512, img_resolution: int = 256,
                 img_channels: int = 3, mapping_layers: int = 2, mapping_lr_multiplier: float = 0.01,
                 w_avg_beta: float | None = 0.998, channel_base: int = 32768, channel_max: int = 512,
                 num_layers: int = 14, num_critical: int = 2, first_cutoff: float = 2.0,
                 first_stopband: float = 2 ** 2.1, last_stopband_rel: float = 2 ** 0.3, margin_size: int = 10,
                 output_scale: float = 0.25, conv_kernel: int = 3, filter_size: int = 6, lrelu_upsampling: int = 2,
                 use_radial_filters: bool = False, conv_clamp: float | None = 256.0, magnitude_ema_beta: float = 0.999):
        super().__init__()
        check_non_negative("z_dim", z_dim)
        check_non_negative("c_dim", c_dim)
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.synthesis = SynthesisNetwork(
            w_dim, img_resolution, img_channels, channel_base=channel_base, channel_max=channel_max,
            num_layers=num_layers, num_critical=num_critical, first_cutoff=first_cutoff, first_stopband=first_stopband,
            last_stopband_rel=last_stopband_rel, margin_size=margin_size, output_scale=output_scale,
            conv_kernel=conv_kernel, filter_size=filter_size, lrelu_upsampling=lrelu_upsampling,
            use_radial_filters=use_radial_filters, conv_clamp=conv_clamp, magnitude_ema_beta=magnitude_ema_beta)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, num_ws=self.num_ws, num_layers=mapping_layers,
                                      lr_multiplier=mapping_lr_multiplier, w_avg_beta=w_avg_beta)

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps(has_mapping=True, has_noise=False, has_w_avg=self.mapping.w_avg_beta is not None,
                             has_input_transform=True, num_ws=self.num_ws, w_dim=self.w_dim)

    @torch.no_grad()
    def set_transform(self, translate: tuple[float, float] = (0.0, 0.0), rotate_deg: float = 0.0) -> None:
        """Show the image translated by ``translate`` (image widths) and rotated by ``rotate_deg``: sets the input's
        user transform (identity = ``(0, 0), 0``)."""
        self.synthesis.input.transform.copy_(user_transform(translate, rotate_deg))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "const", update_emas: bool = False,
                **synthesis_kwargs) -> torch.Tensor:
        """Images ``[N, img_channels, R, R]`` from ``z: [N, z_dim]`` (and labels ``c: [N, c_dim]``)."""
        return map_and_synthesize(self, z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                                  update_emas=update_emas, noise_mode=noise_mode, **synthesis_kwargs)
