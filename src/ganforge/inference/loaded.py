"""``ganforge.load(path)``: a trained network ready for inference, whatever file it came from.

:func:`load` is :func:`ganforge.inference.open_networks` with the generator (and D, when the file has one)
built at once, so a file whose weights do not fit its config is refused here rather than at first use.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganforge.inference.network_file import NetworkFile
from ganforge.inference.open import open_networks


def load(path: str | Path, device: torch.device | str = "cpu", *, verify: bool = True) -> NetworkFile:
    """Load a trained network for inference.

    Args:
        path: A ganforge checkpoint or run folder (its newest checkpoint), an official NVIDIA ``.pkl`` or a
            rosinality ``.pt``/``.pth`` (read as data, never executed).
        device: Where to put the networks.
        verify: Check a ganforge checkpoint's checksum first.

    Returns:
        A :class:`NetworkFile`: ``load("runs/00003-emoji").generate("0-7")`` gives ``[8, H, W, C]`` uint8;
        ``.G`` is G_ema when the file has it (eval mode, fp32), ``.D`` may be ``None``.

    Raises:
        ValueError: Naming the file, when it is missing, of an unknown type, or damaged.
    """
    networks = open_networks(path, device, verify=verify)
    _ = networks.G, networks.D  # build now: weights that do not fit are an error of load, not of the first image
    return networks
