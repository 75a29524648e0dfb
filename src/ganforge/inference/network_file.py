"""The one holder of an opened network file: :class:`NetworkFile`, whatever format the file was.

:func:`ganforge.inference.open_networks` returns it for ganforge checkpoints, official NVIDIA pickles and
rosinality files alike; ``ganforge.load``, ``ganforge generate``, transfer learning (``--resume-from``) and
``ganforge convert`` all read networks through it. It keeps the state dicts as read and builds each network
(fp32, eval mode, no gradients) on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch

from ganforge.config import Config
from ganforge.inference.generate import generate_images
from ganforge.models import build_discriminator, build_generator
from ganforge.utils.seeds import parse_seeds

NETWORK_NAMES = ("G", "D", "G_ema")
"""The networks a file may hold, by their names in ganforge checkpoints and official pickles."""
_BUILDERS = {"G": build_generator, "G_ema": build_generator, "D": build_discriminator}


@dataclass(eq=False)
class NetworkFile:
    """The networks of one file: state dicts as read, their model config, provenance, and the built networks.

    ``G`` is the generator to sample from (``G_ema`` when the file has one, else the training ``G``), as
    ``ganforge.load`` has always given it; :meth:`build` gives any network by its name in the file.
    """

    path: Path
    """The file the networks were read from."""
    kind: str
    """The reader that opened it (``"ganforge"``, ``"official-pkl"``, ``"rosinality"``; see ``NETWORK_READERS``)."""
    model_config: Config
    """The model config (a registered ``Config``, e.g. ``StyleGAN2Config``) that the state dicts fit."""
    state_dicts: dict[str, dict[str, torch.Tensor]]
    """``"G"``, ``"D"``, ``"G_ema"`` (whichever the file has) -> state dict, as read (CPU)."""
    config: dict[str, Any]
    """The config stored with the networks: a ganforge run's training config, or for a foreign file
    ``{"model": ..., "imported_from": {"source", "path", ...metadata}}`` (what ``ganforge convert`` writes)."""
    source: str = "ganforge"
    """Which code wrote the file (``"ganforge"``, ``"stylegan2-ada-pytorch"``, ``"rosinality/stylegan2-pytorch"``)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """JSON-able data kept from the file (augment pipe ``p``, training-set kwargs, what a reader filled in, ...)."""
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    """Where :meth:`build` puts the networks."""
    _built: dict[str, torch.nn.Module] = field(default_factory=dict, init=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The networks the file holds, in ``G``, ``D``, ``G_ema`` order."""
        return tuple(name for name in NETWORK_NAMES if name in self.state_dicts)

    def build(self, name: str) -> torch.nn.Module:
        """The network ``name`` with its weights loaded (strict), fp32, eval mode, no gradients; built once.

        Raises:
            ValueError: Naming the file, when it holds no ``name`` or the weights do not fit the model config.
        """
        if name not in self._built:
            if name not in self.state_dicts or name not in _BUILDERS:
                raise ValueError(f"{self.path}: the file holds no {name} (it has {list(self.names)})")
            module = (build_discriminator(self.model_config, *self.discriminator_spec) if name == "D"
                      else _BUILDERS[name](self.model_config))
            try:
                module.load_state_dict(self.state_dicts[name], strict=True)
            except RuntimeError as exc:
                raise ValueError(f"{self.path}: the {name} weights do not fit the stored model config: {exc}") from None
            self._built[name] = module.to(device=self.device, dtype=torch.float32).eval().requires_grad_(False)
        return self._built[name]

    @property
    def discriminator_spec(self) -> tuple[str | None, dict[str, Any]]:
        """``(name, options)`` of the discriminator the run trained (``model.d``, ``model.d_options`` of a ganforge
        training config); ``(None, {})`` = the family's default D without options (foreign files)."""
        model = self.config.get("model") if isinstance(self.config, dict) else None
        if not isinstance(model, dict) or "arch" not in model:
            return None, {}
        d, options = model.get("d"), model.get("d_options")
        return (d if isinstance(d, str) else None), (options if isinstance(options, dict) else {})

    @property
    def G(self) -> torch.nn.Module:
        """The generator to sample from: ``G_ema`` when the file has it, else ``G``."""
        return self.build("G_ema" if "G_ema" in self.state_dicts else "G")

    @property
    def G_ema(self) -> torch.nn.Module | None:
        """The file's ``G_ema``, or ``None``."""
        return self.build("G_ema") if "G_ema" in self.state_dicts else None

    @property
    def D(self) -> torch.nn.Module | None:
        """The discriminator, or ``None`` when the file has none."""
        return self.build("D") if "D" in self.state_dicts else None

    def networks(self) -> dict[str, torch.nn.Module]:
        """Every network of the file, built: ``{"G": ..., "D": ..., "G_ema": ...}`` (whichever it has)."""
        return {name: self.build(name) for name in self.names}

    def generate(
        self,
        seeds: Sequence[int] | str | int,
        *,
        psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "const",
        class_idx: int | None = None,
        batch_size: int = 32,
    ) -> torch.Tensor:
        """Images of :attr:`G` for ``seeds`` (a list, one int or text like ``"0-7,9"``): ``[N, H, W, C]`` uint8 on CPU.

        See :func:`ganforge.inference.generate.generate_images` for the arguments.
        """
        if isinstance(seeds, str):
            seeds = parse_seeds(seeds)
        elif isinstance(seeds, int):
            seeds = [seeds]
        return generate_images(self.G, seeds, psi=psi, truncation_cutoff=truncation_cutoff, noise_mode=noise_mode,
                               class_idx=class_idx, batch_size=batch_size, device=self.device)

    def save(self, path: str | Path) -> Path:
        """Write the networks as a ganforge checkpoint (safetensors, with :attr:`config`; no optimizer or
        training state), which :func:`ganforge.inference.open_networks` opens back to the same weights."""
        from ganforge.train.checkpoint import save_checkpoint  # writing is rare: keep train out of the import path

        return save_checkpoint(path, modules=self.networks(), optimizers={}, config=self.config, state={})
