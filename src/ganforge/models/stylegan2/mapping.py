"""StyleGAN mapping network ``f: (z, c) -> w`` (Karras et al. 2019, section 2; StyleGAN2 config F).

z (and the embedded class label c) are normalised by their second moment (pixel norm), passed
through an MLP of equalized-LR layers with ``lr_multiplier = 0.01``, and broadcast to ``num_ws``
copies. ``w_avg`` tracks the running mean of w during training (for the truncation trick
``w' = w_avg + psi * (w - w_avg)``, optionally only for the first ``truncation_cutoff`` layers).
"""

from __future__ import annotations

import torch

from ganforge.nn.equalized import FullyConnectedLayer
from ganforge.nn.pixel_norm import normalize_2nd_moment
from ganforge.nn.shape import assert_shape


class MappingNetwork(torch.nn.Module):
    """Map latents (and labels) to intermediate latents.

    Args:
        z_dim: Latent dimensionality (0 = no latent, as in D's conditioning mapping).
        c_dim: Label dimensionality (0 = unconditional).
        w_dim: Output dimensionality.
        num_ws: Number of broadcast copies of w (``None`` returns ``[N, w_dim]``).
        num_layers: MLP depth.
        embed_features: Label embedding width (default ``w_dim``).
        layer_features: Hidden width (default ``w_dim``).
        activation: Hidden activation.
        lr_multiplier: Learning-rate multiplier of every layer.
        w_avg_beta: Decay of the ``w_avg`` moving average (``None`` = do not track).
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        num_ws: int | None,
        num_layers: int = 8,
        embed_features: int | None = None,
        layer_features: int | None = None,
        activation: str = "lrelu",
        lr_multiplier: float = 0.01,
        w_avg_beta: float | None = 0.995,
    ):
        super().__init__()
        if z_dim == 0 and c_dim == 0:
            raise ValueError("MappingNetwork: z_dim and c_dim cannot both be 0")
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.num_ws = num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        embed_features = w_dim if embed_features is None else embed_features
        embed_features = embed_features if c_dim > 0 else 0
        layer_features = w_dim if layer_features is None else layer_features
        features = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]

        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        for idx in range(num_layers):
            layer = FullyConnectedLayer(features[idx], features[idx + 1], activation=activation, lr_multiplier=lr_multiplier)
            setattr(self, f"fc{idx}", layer)
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(
        self,
        z: torch.Tensor | None,
        c: torch.Tensor | None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_emas: bool = False,
    ) -> torch.Tensor:
        """Compute ``ws: [N, num_ws, w_dim]`` (or ``w: [N, w_dim]`` when ``num_ws`` is None).

        Args:
            z: Latents ``[N, z_dim]`` (ignored when ``z_dim == 0``).
            c: Labels ``[N, c_dim]`` (ignored when ``c_dim == 0``).
            truncation_psi: Truncation strength; 1 disables, 0 returns ``w_avg``.
            truncation_cutoff: Truncate only the first this many ws (``None`` = all).
            update_emas: Update ``w_avg`` from this batch (training only).
        """
        x = None
        if self.z_dim > 0:
            assert_shape(z, [None, self.z_dim], "z")
            x = normalize_2nd_moment(z.to(torch.float32))
        if self.c_dim > 0:
            if c is None:
                raise ValueError(f"c must be given: this network is conditional (c_dim={self.c_dim})")
            assert_shape(c, [None if x is None else x.shape[0], self.c_dim], "c")
            y = normalize_2nd_moment(self.embed(c.to(torch.float32)))
            x = y if x is None else torch.cat([x, y], dim=1)

        for idx in range(self.num_layers):
            x = getattr(self, f"fc{idx}")(x)

        if update_emas and hasattr(self, "w_avg"):
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))

        if self.num_ws is not None:
            x = x.unsqueeze(1).repeat([1, self.num_ws, 1])  # [N, num_ws, w_dim]

        if truncation_psi != 1:
            if not hasattr(self, "w_avg"):
                raise ValueError("truncation needs w_avg, which this mapping network does not track")
            if truncation_cutoff is None:
                x = self.w_avg.lerp(x, truncation_psi)
            else:
                x[:, :truncation_cutoff] = self.w_avg.lerp(x[:, :truncation_cutoff], truncation_psi)
        return x

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, c_dim={self.c_dim}, w_dim={self.w_dim}, num_ws={self.num_ws}"
