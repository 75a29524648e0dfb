"""Move and rotate what a generator draws (StyleGAN3's input transform): ``ganforge generate --translate --rotate``."""

from __future__ import annotations

import torch

from ganforge.models.network import generator_caps


def parse_translate(text: str) -> tuple[float, float]:
    """``"0.1,-0.25"`` -> ``(0.1, -0.25)``; one-line ``ValueError`` otherwise."""
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--translate must be X,Y (two numbers, in image widths), got {text!r}") from None


def set_input_transform(G: torch.nn.Module, translate: tuple[float, float] = (0.0, 0.0), rotate_deg: float = 0.0) -> None:
    """Draw the images of ``G`` translated by ``translate`` (image widths, x right, y down) and rotated by
    ``rotate_deg`` degrees about the centre; ``ValueError`` for a generator without a movable input."""
    if not generator_caps(G).has_input_transform:
        parts = type(G).__module__.split(".")
        family = parts[2] if parts[:2] == ["ganforge", "models"] and len(parts) > 2 else type(G).__name__
        raise ValueError(f"--translate/--rotate need a generator with a movable input (stylegan3, or stylegan2 "
                         f"trained with --g-input fourier); the {family} generator has none")
    G.set_transform(tuple(float(v) for v in translate), float(rotate_deg))
