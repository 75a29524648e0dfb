"""The dataset shipped in the repository: Noto Emoji at 32x32 (see ``datasets/README.md``)."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DATASET = "emoji-32.zip"


def bundled_dataset_path() -> Path:
    """Path of ``datasets/emoji-32.zip`` in the repository checkout (the package is installed editable).

    Raises:
        ValueError: the archive is not there (e.g. an installed wheel, or a checkout without it).
    """
    root = Path(__file__).resolve().parents[3]  # src/ganforge/data/bundled.py -> repository root
    path = root / "datasets" / BUNDLED_DATASET
    if not path.is_file():
        raise ValueError(f"{path}: the bundled emoji dataset is missing; it ships with the git repository "
                         "(install with `pip install -e .` from a checkout), or rebuild it with "
                         "`python scripts/build_emoji_dataset.py`")
    return path
