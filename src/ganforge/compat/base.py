"""What every importer of a foreign checkpoint produces: ganforge state dicts + a model config + provenance.

Importers (official NVIDIA pickles, rosinality ``.pt``) return :class:`ImportedNetworks`; from there the
networks can be built (:meth:`ImportedNetworks.build`), wrapped for inference (:meth:`to_loaded`) or written as a
ganforge checkpoint (:meth:`save`), so ``ganforge convert``, ``ganforge.load`` and ``generate`` share one path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganforge.config import Config
from ganforge.models import build_discriminator, build_generator

BUILDERS = {"G": build_generator, "G_ema": build_generator, "D": build_discriminator}


@dataclass
class ImportedNetworks:
    """Networks read from a foreign file, already in ganforge's state-dict layout (fp32, CPU)."""

    model_config: Config
    """The ganforge model config (e.g. ``StyleGAN2Config``) that the state dicts fit."""
    modules: dict[str, dict[str, torch.Tensor]]
    """``"G"``, ``"D"``, ``"G_ema"`` (whichever the file has) -> state dict."""
    source: str
    """Which code wrote the file, e.g. ``"stylegan2-ada-pytorch"``, ``"rosinality"``."""
    path: Path
    extra: dict[str, Any] = field(default_factory=dict)
    """JSON-able data kept from the file (augment pipe probabilities, training-set kwargs, ...)."""

    def build(self, name: str, device: torch.device | str = "cpu") -> torch.nn.Module:
        """The network ``name`` with its weights loaded (strict), fp32, eval mode."""
        if name not in self.modules:
            raise ValueError(f"{self.path}: the file holds no {name} (it has {sorted(self.modules)})")
        module = BUILDERS[name](self.model_config)
        try:
            module.load_state_dict(self.modules[name], strict=True)
        except RuntimeError as exc:
            raise ValueError(f"{self.path}: the {name} weights do not fit the rebuilt model config: {exc}") from None
        return module.to(device=device, dtype=torch.float32).eval().requires_grad_(False)

    def config_dict(self) -> dict[str, Any]:
        """The config stored with a converted checkpoint: the model config + where it came from."""
        return {"model": self.model_config.to_dict(), "imported_from": {"source": self.source, "path": str(self.path),
                                                                      **self.extra}}

    def to_loaded(self, device: torch.device | str = "cpu"):
        """A :class:`ganforge.inference.LoadedGAN` (G = G_ema when present)."""
        from ganforge.inference.loaded import LoadedGAN

        g_name = "G_ema" if "G_ema" in self.modules else "G"
        D = self.build("D", device) if "D" in self.modules else None
        return LoadedGAN(G=self.build(g_name, device), D=D, config=self.config_dict(), model_config=self.model_config,
                         path=Path(self.path), device=torch.device(device))

    def save(self, path: str | Path) -> Path:
        """Write a ganforge checkpoint (safetensors; no optimizer or training state)."""
        from ganforge.train.checkpoint import save_checkpoint

        modules = {name: self.build(name) for name in ("G", "D", "G_ema") if name in self.modules}
        return save_checkpoint(path, modules=modules, optimizers={}, config=self.config_dict(), state={})
