"""Foreign checkpoint formats: official NVIDIA pickles (restricted unpickler), rosinality ``.pt``.

``import_networks(path)`` picks the importer registered for the file's suffix in :data:`IMPORTERS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ganforge.compat.base import ImportedNetworks
from ganforge.registry import Registry

Importer = Callable[[Path], ImportedNetworks]
IMPORTERS: Registry[Importer] = Registry("foreign checkpoint type")


def import_networks(path: str | Path) -> ImportedNetworks:
    """Read a foreign checkpoint (by suffix) into ganforge state dicts + model config, executing nothing."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in IMPORTERS:
        raise ValueError(f"{path}: unknown checkpoint type {suffix or '(no suffix)'!r}; "
                         f"importable: {', '.join(IMPORTERS.names()) or 'none yet'}")
    return IMPORTERS.get(suffix)(path)


from ganforge.compat.rosinality import export_rosinality, import_rosinality  # noqa: E402

IMPORTERS.register(".pt", import_rosinality)
IMPORTERS.register(".pth", import_rosinality)

from ganforge.compat.official_pkl import import_official_pkl  # noqa: E402

IMPORTERS.register(".pkl", import_official_pkl)

__all__ = ["import_official_pkl", "ImportedNetworks", "IMPORTERS", "import_networks", "import_rosinality", "export_rosinality"]
