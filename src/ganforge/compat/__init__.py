"""Foreign network files, read as data: official NVIDIA pickles (restricted unpickler), rosinality ``.pt``.

Each reader returns a :class:`NetworkData` (state dicts + model config + provenance) and executes nothing from
the file. Opening a file of any kind is :func:`ganforge.inference.open_networks`, where these readers are
registered; this package does not know about inference or training.
"""

from ganforge.compat.base import NetworkData
from ganforge.compat.official_pkl import import_official_pkl
from ganforge.compat.rosinality import export_rosinality, import_rosinality

__all__ = ["NetworkData", "import_official_pkl", "import_rosinality", "export_rosinality"]
