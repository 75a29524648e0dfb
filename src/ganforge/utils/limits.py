"""Input limits: how large a file, a member, a list or a declared size may be before ganforge refuses it.

Each limit is checked *before* the memory is allocated, so a small hostile or mistaken input (a zip member
declaring 3 GiB, ``--seeds 0-99999999999``, label ids of 1e9) fails with one clear ``ValueError`` instead of
exhausting memory. The network size limit lives in :mod:`ganforge.models.limits`, the pickle caps in
:mod:`ganforge.compat.unpickler`; docs/reliability.md lists them all.
"""

from __future__ import annotations

from typing import BinaryIO

MAX_SOURCE_IMAGE_BYTES = 256 * 1024**2
"""Largest input image file (or decompressed zip member) the dataset tool reads: 256 MiB."""

MAX_SEEDS = 1_000_000
"""Most seeds one ``--seeds`` list may name."""

MAX_LABEL_DIM = 100_000
"""Most classes a dataset may declare (largest label id + 1); ImageNet has 1000."""


def read_capped(file: BinaryIO, max_bytes: int, what: str) -> bytes:
    """Read all of ``file``, refusing (``OSError``) content over ``max_bytes`` after reading at most one byte more.

    The declared size of a zip member can lie; this bounds what is actually read.
    """
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"{what}: over the {max_bytes // 1024**2} MiB limit of an input image")
    return data
