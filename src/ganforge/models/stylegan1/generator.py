"""StyleGAN1 generator: StyleGAN2's mapping network (reused as is) + the AdaIN synthesis network."""

from __future__ import annotations

from typing import Sequence

import torch

from ganforge.models.checks import check_non_negative
from ganforge.models.growing import Growable, Stage
from ganforge.models.network import GeneratorCaps, GeneratorNetwork, map_and_synthesize
from ganforge.models.stylegan1.synthesis import SynthesisNetwork
from ganforge.models.stylegan2.mapping import MappingNetwork


class Generator(GeneratorNetwork, Growable):
    """``G(z, c) -> img``; ``G.mapping`` and ``G.synthesis`` are called separately for style mixing, with the same
    conventions as the StyleGAN2 generator (truncation ``psi`` / ``cutoff``, ``noise_mode``, ``w_avg``). With
    ``growing=True`` the growth level lives in the synthesis network; the generator passes it through."""

    def __init__(self, z_dim: int = 512, c_dim: int = 0, w_dim: int = 512, img_resolution: int = 1024,
                 img_channels: int = 3, mapping_layers: int = 8, mapping_lr_multiplier: float = 0.01,
                 w_avg_beta: float | None = 0.995, channel_base: int = 16384, channel_max: int = 512,
                 blur_filter: Sequence[float] = (1, 2, 1), growing: bool = False):
        super().__init__()
        check_non_negative("z_dim", z_dim)
        check_non_negative("c_dim", c_dim)
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels, channel_base=channel_base,
                                          channel_max=channel_max, blur_filter=blur_filter, growing=growing)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, num_ws=self.num_ws, num_layers=mapping_layers,
                                      lr_multiplier=mapping_lr_multiplier, w_avg_beta=w_avg_beta)

    @property
    def growing(self) -> bool:
        return self.synthesis.growing

    @property
    def growth_resolutions(self) -> list[int]:
        return self.synthesis.growth_resolutions

    def set_growth_level(self, level: float) -> None:
        self.synthesis.set_growth_level(level)

    @property
    def stage(self) -> Stage:
        return self.synthesis.stage

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps(has_mapping=True, has_noise=True, has_w_avg=self.mapping.w_avg_beta is not None,
                             num_ws=self.num_ws, w_dim=self.w_dim)

    def style_weights(self) -> list[tuple[int, torch.Tensor]]:
        """AdaIN's affine weights, scale and bias stacked: ``(ws index, [2 C, w_dim])``, two per block."""
        out = []
        for i, res in enumerate(self.synthesis.block_resolutions):
            block = getattr(self.synthesis, f"b{res}")
            for j, layer in enumerate((block.conv0, block.conv1)):
                fcs = (layer.style_scale, layer.style_bias)
                out.append((2 * i + j, torch.cat([fc.weight * fc.weight_gain for fc in fcs])))
        return out

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "random", update_emas: bool = False,
                **synthesis_kwargs) -> torch.Tensor:
        """Images ``[N, img_channels, R, R]`` from ``z: [N, z_dim]`` (and labels ``c: [N, c_dim]``)."""
        return map_and_synthesize(self, z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                                  update_emas=update_emas, noise_mode=noise_mode, **synthesis_kwargs)
