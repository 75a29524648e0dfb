"""StyleGAN2 generator: mapping network + synthesis network (config F defaults)."""

from __future__ import annotations

from typing import Sequence

import torch

from ganforge.models.checks import check_non_negative
from ganforge.models.network import GeneratorCaps, GeneratorNetwork, map_and_synthesize
from ganforge.models.stylegan2.mapping import MappingNetwork
from ganforge.models.stylegan2.synthesis import SynthesisNetwork


class Generator(GeneratorNetwork):
    """``G(z, c) -> img``. ``G.mapping`` and ``G.synthesis`` can be called separately for style mixing.

    Args:
        z_dim: Latent width.
        c_dim: Label width (0 = unconditional).
        w_dim: Intermediate latent width.
        img_resolution: Output resolution (power of two >= 4).
        img_channels: Output channels (1-4).
        mapping_layers: Depth of the mapping MLP.
        mapping_lr_multiplier: Learning-rate multiplier of the mapping MLP.
        w_avg_beta: Decay of the tracked ``w_avg`` (for truncation).
        channel_base: Channels at resolution R are ``min(channel_base // R, channel_max)``.
        channel_max: Cap on the channel count.
        architecture: Synthesis architecture, ``orig``, ``skip`` (default) or ``resnet``.
        conv_clamp: Clamp conv outputs (``None`` disables).
        num_fp16_res: Highest resolutions run in fp16 on CUDA.
        resample_filter: FIR taps for up-sampling.
        init_res: ``(height, width)`` of the first block.
        input: ``const`` (the learned 4x4 constant) or ``fourier`` (StyleGAN3's Fourier features on the 4x4 grid,
            driven by the first w; :meth:`set_transform` then moves and rotates what G draws).
    """

    def __init__(
        self,
        z_dim: int = 512,
        c_dim: int = 0,
        w_dim: int = 512,
        img_resolution: int = 1024,
        img_channels: int = 3,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        w_avg_beta: float | None = 0.995,
        channel_base: int = 32768,
        channel_max: int = 512,
        architecture: str = "skip",
        conv_clamp: float | None = None,
        num_fp16_res: int = 0,
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        init_res: tuple[int, int] = (4, 4),
        input: str = "const",
    ):
        super().__init__()
        check_non_negative("z_dim", z_dim)
        check_non_negative("c_dim", c_dim)
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.init_res = tuple(init_res)
        # Synthesis is built first so that state_dict order matches the official layout.
        self.synthesis = SynthesisNetwork(
            w_dim, img_resolution, img_channels, channel_base=channel_base, channel_max=channel_max,
            architecture=architecture, conv_clamp=conv_clamp, num_fp16_res=num_fp16_res, resample_filter=resample_filter,
            init_res=init_res, input=input,
        )
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(
            z_dim, c_dim, w_dim, num_ws=self.num_ws, num_layers=mapping_layers,
            lr_multiplier=mapping_lr_multiplier, w_avg_beta=w_avg_beta,
        )

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps(has_mapping=True, has_noise=True, has_w_avg=self.mapping.w_avg_beta is not None,
                             has_input_transform=self.synthesis.input_kind == "fourier", num_ws=self.num_ws,
                             w_dim=self.w_dim)

    @torch.no_grad()
    def set_transform(self, translate: tuple[float, float] = (0.0, 0.0), rotate_deg: float = 0.0) -> None:
        """Show the image translated by ``translate`` (image widths) and rotated by ``rotate_deg`` (Fourier input
        only): sets the input's user transform, as StyleGAN3's ``set_transform``."""
        if self.synthesis.input_kind != "fourier":
            raise ValueError("set_transform needs input='fourier'; a StyleGAN2 with a constant input cannot move it")
        from ganforge.models.stylegan3.fourier import user_transform

        self.synthesis.b4.input.transform.copy_(user_transform(translate, rotate_deg))

    def style_weights(self) -> list[tuple[int, torch.Tensor]]:
        """The modulated convolutions' affine weights ``(ws index, [C_in, w_dim])``. The ToRGB affines are left out,
        as SeFa (Shen & Zhou 2021) does for StyleGAN2: they set colours, not the layer's features."""
        out, w_idx = [], 0
        for res in self.synthesis.block_resolutions:
            block = getattr(self.synthesis, f"b{res}")
            convs = [block.conv0] if block.num_conv == 2 else []
            for i, layer in enumerate(convs + [block.conv1]):
                out.append((w_idx + i, layer.affine.weight * layer.affine.weight_gain))
            w_idx += block.num_conv
        return out

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "random",
        update_emas: bool = False,
        fused_modconv: bool | None = None,
        force_fp32: bool = False,
    ) -> torch.Tensor:
        """Generate images.

        Args:
            z: Latents ``[N, z_dim]``.
            c: Labels ``[N, c_dim]`` (``None`` for unconditional networks).
            truncation_psi: Truncation in W (1 = off).
            truncation_cutoff: Truncate only the first this many ws.
            noise_mode: ``random``, ``const`` or ``none``.
            update_emas: Track ``w_avg`` (training).
            fused_modconv: Modconv implementation; ``None`` picks the faster one for the device.
            force_fp32: Ignore ``num_fp16_res``.

        Returns:
            Images ``[N, img_channels, img_resolution, img_resolution]``.
        """
        return map_and_synthesize(self, z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                                  update_emas=update_emas, noise_mode=noise_mode, fused_modconv=fused_modconv,
                                  force_fp32=force_fp32)
