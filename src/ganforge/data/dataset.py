"""Reading image datasets: a folder or a zip of same-size images, with labels from ``dataset.json``.

Reads what ``ganforge dataset`` (or NVIDIA's ``dataset_tool.py``) writes, and any folder / zip of
PNG / JPEG images of one size, like the official ``ImageFolderDataset``. Images are returned as
``uint8 [C, H, W]``; labels as ``float32`` one-hot vectors (or the raw vectors when ``dataset.json``
stores lists of floats). Small datasets are decoded once into one ``uint8`` tensor so that
:meth:`ImageDataset.get_batch` is a single gather.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import torch

from ganforge.data.sources import is_image_name
from ganforge.data.transforms import BadImageError, decode_image
from ganforge.utils.limits import MAX_LABEL_DIM

IN_MEMORY_LIMIT_BYTES = 2 << 30  # in_memory=None loads datasets up to 2 GiB of decoded pixels


class ImageDataset:
    """A folder or zip of images of one size, optionally labelled and x-flipped.

    Args:
        path: dataset folder or ``.zip``.
        use_labels: return the labels from ``dataset.json`` (an error when there are none).
        max_size: keep at most this many images (a random subset, fixed by seed 0, in file order).
        xflip: double the length; index ``i >= n`` is image ``i - n`` mirrored left-right.
        in_memory: decode everything into one tensor on first use; ``None`` = when it is under 2 GiB.

    Indexing returns ``(image uint8 [C, H, W], label float32 [label_dim])``.
    """

    def __init__(self, path: str | Path, *, use_labels: bool = False, max_size: int | None = None,
                 xflip: bool = False, in_memory: bool | None = None):
        self.path = Path(path)
        self.use_labels = use_labels
        self.xflip = xflip
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            self._kind = "dir"
            names = [p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()]
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self._kind = "zip"
            names = [i.filename for i in self._archive().infolist() if not i.is_dir()]
        elif self.path.exists():
            raise ValueError(f"{self.path}: not a folder or a zip archive")
        else:
            raise ValueError(f"{self.path}: dataset not found")
        all_names = set(names)
        self._fnames = sorted(n for n in names if is_image_name(n))
        if not self._fnames:
            raise ValueError(f"{self.path}: no images found")
        if max_size is not None and len(self._fnames) > max_size:
            keep = np.sort(np.random.RandomState(0).permutation(len(self._fnames))[:max_size])
            self._fnames = [self._fnames[i] for i in keep]
        meta = self._read_meta() if "dataset.json" in all_names else None
        self.class_names: tuple[str, ...] | None = None
        self._labels = self._parse_labels(meta, all_names)  # [n, label_dim] float32 or None
        if use_labels and self._labels is None:
            raise ValueError(f"{self.path}: labels requested, but there is no dataset.json with labels")
        first = self._load_raw(0)
        self._shape = tuple(first.shape)  # [C, H, W]
        self._images: np.ndarray | None = None
        nbytes = len(self._fnames) * int(np.prod(self._shape))
        self.in_memory = nbytes <= IN_MEMORY_LIMIT_BYTES if in_memory is None else bool(in_memory)

    # --- files -----------------------------------------------------------------------------------
    def _archive(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.path)
        return self._zip

    def _read(self, name: str) -> bytes:
        try:
            if self._kind == "zip":
                return self._archive().read(name)
            return (self.path / name).read_bytes()
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{self.path}: cannot read {name} ({exc})") from None

    def __getstate__(self) -> dict[str, Any]:  # DataLoader workers open their own zip handle
        return {**self.__dict__, "_zip": None}

    def close(self) -> None:
        """Close the zip handle (it reopens on demand)."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def _read_meta(self) -> Any:
        try:
            return json.loads(self._read("dataset.json").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{self.path}: dataset.json is not valid JSON ({exc})") from None
        except RecursionError:
            raise ValueError(f"{self.path}: dataset.json is nested too deeply") from None

    def _parse_labels(self, meta: Any, all_names: set[str]) -> np.ndarray | None:
        where = f"{self.path}/dataset.json"
        if meta is None or (isinstance(meta, dict) and meta.get("labels") is None):
            return None
        if not isinstance(meta, dict) or not isinstance(meta["labels"], list):
            raise ValueError(f'{where}: expected {{"labels": [["file", label], ...]}} or {{"labels": null}}')
        table: dict[str, Any] = {}
        for entry in meta["labels"]:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                raise ValueError(f'{where}: each label must be ["file", label], got {entry!r}')
            name = PurePosixPath(entry[0].replace("\\", "/")).as_posix()
            if name not in all_names:
                raise ValueError(f"{where}: refers to {name}, which is not in the dataset")
            table[name] = entry[1]
        missing = [n for n in self._fnames if n not in table]
        if missing:
            raise ValueError(f"{where}: no label for {missing[0]} ({len(missing)} image(s) without a label)")
        values = [table[n] for n in self._fnames]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            ids = np.asarray(values, dtype=np.int64)
            if ids.min() < 0:
                raise ValueError(f"{where}: label ids must be >= 0, got {int(ids.min())}")
            names = meta.get("class_names")
            dim = int(ids.max()) + 1
            if dim > MAX_LABEL_DIM:  # the one-hot table is [images, dim]: refuse before allocating it
                raise ValueError(f"{where}: label id {dim - 1} means {dim} classes, over the limit of "
                                 f"{MAX_LABEL_DIM}; label ids must be 0..K-1 for K classes")
            if isinstance(names, list) and all(isinstance(s, str) for s in names):
                if len(names) < dim:
                    raise ValueError(f"{where}: {len(names)} class_names but label id {dim - 1}")
                self.class_names, dim = tuple(names), len(names)
            onehot = np.zeros([len(values), dim], dtype=np.float32)
            onehot[np.arange(len(values)), ids] = 1
            return onehot
        try:
            vectors = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError):
            vectors = None
        if vectors is None or vectors.ndim != 2:
            raise ValueError(f"{where}: labels must be all integer ids or all equal-length lists of numbers")
        return vectors

    def _load_raw(self, raw_index: int) -> np.ndarray:
        """Decode file ``raw_index`` -> ``uint8 [C, H, W]``, checking it matches the dataset's shape."""
        name = self._fnames[raw_index]
        try:
            img = decode_image(self._read(name))
        except BadImageError as exc:
            raise ValueError(f"{self.path}: {name}: {exc}") from None
        arr = np.asarray(img, dtype=np.uint8)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        shape = getattr(self, "_shape", None)
        if shape is not None and tuple(arr.shape) != shape:
            raise ValueError(f"{self.path}: {name} has shape {list(arr.shape)} [C, H, W], but "
                             f"{self._fnames[0]} has {list(shape)}; all images must share one shape")
        return np.ascontiguousarray(arr)

    def _all_images(self) -> np.ndarray:
        """All images decoded into one ``uint8 [n, C, H, W]`` array (on first use)."""
        if self._images is None:
            data = np.empty([len(self._fnames), *self._shape], dtype=np.uint8)
            for i in range(len(self._fnames)):
                data[i] = self._load_raw(i)
            self._images = data
            self.close()
        return self._images

    # --- properties --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Dataset name: the file or folder name without extension."""
        return self.path.stem if self._kind == "zip" else self.path.name

    def fingerprint(self) -> str:
        """What identifies the dataset wherever it lies: sha256 over its image names and byte sizes (a zip's CRC-32s
        too), its labels and the image shape; moving or copying the folder or zip keeps it, changing an image does
        not (zip) or changes its size (folder: contents are not read, to stay instant on big folders)."""
        digest = hashlib.sha256(f"{self._kind}|{self._shape}\n".encode())
        if self._kind == "zip":
            infos = {i.filename: i for i in self._archive().infolist()}
            rows = (f"{n}|{infos[n].file_size}|{infos[n].CRC}" for n in self._fnames)
        else:
            rows = (f"{n}|{(self.path / n).stat().st_size}" for n in self._fnames)
        for row in rows:
            digest.update(row.encode() + b"\n")
        if self._labels is not None:
            digest.update(np.ascontiguousarray(self._labels).tobytes())
        return digest.hexdigest()[:16]

    @property
    def num_images(self) -> int:
        """Number of distinct images (without the x-flip doubling)."""
        return len(self._fnames)

    @property
    def image_shape(self) -> list[int]:
        """``[C, H, W]``."""
        return list(self._shape)

    @property
    def num_channels(self) -> int:
        return self._shape[0]

    @property
    def height(self) -> int:
        return self._shape[1]

    @property
    def width(self) -> int:
        return self._shape[2]

    @property
    def resolution(self) -> int:
        """Side of the square images; a ``ValueError`` for non-square datasets (see :meth:`require_square`)."""
        return self.require_square()

    def require_square(self) -> int:
        """The side length when images are square, else a ``ValueError`` naming the dataset and its size."""
        if self.height != self.width:
            raise ValueError(f"{self.path}: images are {self.width}x{self.height} (WxH), not square")
        return self.width

    @property
    def has_labels(self) -> bool:
        """True when labels are in use (``use_labels`` and ``dataset.json`` has them)."""
        return self.use_labels and self._labels is not None

    @property
    def label_dim(self) -> int:
        """Width of the label vectors; 0 without labels."""
        return int(self._labels.shape[1]) if self.has_labels else 0  # type: ignore[union-attr]

    @property
    def label_shape(self) -> list[int]:
        return [self.label_dim]

    # --- access --------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._fnames) * (2 if self.xflip else 1)

    def _split(self, index: int) -> tuple[int, bool]:
        n = len(self._fnames)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        index %= len(self)
        return index % n, index >= n

    def get_label(self, index: int) -> np.ndarray:
        """``float32 [label_dim]`` label of item ``index`` (empty without labels)."""
        raw, _ = self._split(index)
        if not self.has_labels:
            return np.zeros([0], dtype=np.float32)
        return self._labels[raw].copy()  # type: ignore[index]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(uint8 [C, H, W], float32 [label_dim])`` of item ``index``."""
        raw, flip = self._split(int(index))
        img = self._all_images()[raw] if self.in_memory else self._load_raw(raw)
        img = img[:, :, ::-1] if flip else img
        return np.ascontiguousarray(img), self.get_label(index)

    def get_batch(self, indices: np.ndarray | list[int] | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels of ``indices`` as tensors on the CPU.

        Args:
            indices: ``[N]`` item indices (``>= num_images`` means mirrored when ``xflip``).

        Returns:
            ``(uint8 [N, C, H, W], float32 [N, label_dim])``.
        """
        if isinstance(indices, torch.Tensor):
            indices = indices.detach().cpu().numpy()
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"indices must be in [0, {len(self)}), got {idx.min()}..{idx.max()}")
        n = len(self._fnames)
        raw, flip = idx % n, idx >= n
        # np.take, not torch.index_select: on CPU it is ~50x faster for uint8 image gathers.
        if self.in_memory:
            images = np.take(self._all_images(), raw, axis=0)  # [N, C, H, W]
        else:
            images = np.empty([len(raw), *self._shape], dtype=np.uint8)
            for k, i in enumerate(raw):
                images[k] = self._load_raw(int(i))
        if flip.any():
            images[flip] = images[flip][..., ::-1]
        if self.has_labels:
            labels = np.take(self._labels, raw, axis=0)  # type: ignore[arg-type]  # [N, label_dim]
        else:
            labels = np.zeros([len(raw), 0], dtype=np.float32)
        return torch.from_numpy(images), torch.from_numpy(labels)

    def __repr__(self) -> str:
        c, h, w = self._shape
        return (f"ImageDataset({str(self.path)!r}, {self.num_images} images, {c}x{h}x{w}, "
                f"label_dim={self.label_dim}, xflip={self.xflip})")
