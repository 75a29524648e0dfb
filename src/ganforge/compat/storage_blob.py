"""Read one pickled torch storage (the ``torch.storage._load_from_bytes`` argument) without an open unpickler.

An official network pickle stores every tensor's data as a nested blob written by
``torch.save(storage, _use_new_zipfile_serialization=False)`` (REFERENCE Part 1, section 2.3): five small
pickles (magic number, protocol version 1001, ``sys_info``, the storage as a persistent id
``('storage', torch.FloatStorage, key, location, numel[, view_metadata])``, the key list), then per key an
int64 element count and the raw little-endian bytes. The official loader unpickles it with
``torch.load(weights_only=False)``; here each small pickle goes through an unpickler that knows only the
``torch.*Storage`` names, and the declared sizes are checked against the bytes actually present and a cap
before anything is allocated. A zip-format blob (``torch.save`` default) is read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import io
import pickle
import reprlib
import struct
import warnings
from dataclasses import dataclass
from typing import Any

import torch

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
ZIP_MAGIC = b"PK\x03\x04"

STORAGE_DTYPES: dict[str, torch.dtype] = {
    "FloatStorage": torch.float32, "HalfStorage": torch.float16, "BFloat16Storage": torch.bfloat16,
    "DoubleStorage": torch.float64, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}
"""The storage classes a blob may name (``torch.<Name>``), mapped to the element dtype."""


class RefusedPickleError(ValueError):
    """A file the safe loaders refuse or cannot read; the message starts with the file name."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 80, 80


def short_repr(value: object) -> str:
    """A bounded ``repr`` for error messages: a forged value may share one list many times (exponential repr)."""
    return _REPR.repr(value)


def format_bytes(num_bytes: int) -> str:
    """``1536`` -> ``'1.5 KiB'`` (for error messages)."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _StorageRef:
    """What the persistent id of a legacy blob declares."""

    key: str
    dtype: torch.dtype
    numel: int


class _BlobUnpickler(pickle.Unpickler):
    """Unpickles one of the small pickles of a legacy storage blob: storage class names and persistent ids only."""

    def __init__(self, file: io.BytesIO, where: str):
        super().__init__(file)
        self._where = where

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise RefusedPickleError(f"{self._where}: refusing to load global '{module}.{name}' inside a tensor storage blob "
                         "(not a StyleGAN network pickle, or a malicious one)")

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise RefusedPickleError(f"{self._where}: unexpected persistent id in a tensor storage blob: {short_repr(pid)}")
        _, dtype, key, location, numel, *view = pid
        if dtype not in STORAGE_DTYPES.values() or not isinstance(key, str) or not isinstance(location, str):
            raise RefusedPickleError(f"{self._where}: malformed storage record in a tensor storage blob: {short_repr(pid)}")
        if isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
            raise RefusedPickleError(f"{self._where}: a tensor storage declares {short_repr(numel)} elements")
        if view and view[0] is not None:
            raise RefusedPickleError(f"{self._where}: storage views are not supported in tensor storage blobs")
        return _StorageRef(key, dtype, numel)


def _load_one(file: io.BytesIO, where: str) -> Any:
    return _BlobUnpickler(file, where).load()


def _load_legacy(blob: bytes | bytearray, where: str, max_bytes: int) -> torch.Tensor:
    file = io.BytesIO(blob)
    if _load_one(file, where) != LEGACY_MAGIC:
        raise RefusedPickleError(f"{where}: a tensor storage blob has the wrong magic number (not a torch legacy blob)")
    if _load_one(file, where) != LEGACY_PROTOCOL:
        raise RefusedPickleError(f"{where}: a tensor storage blob has an unsupported protocol version")
    sys_info = _load_one(file, where)
    if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
        raise RefusedPickleError(f"{where}: only little-endian tensor storage blobs are supported")
    ref = _load_one(file, where)
    keys = _load_one(file, where)
    if not isinstance(ref, _StorageRef) or keys != [ref.key]:
        raise RefusedPickleError(f"{where}: a tensor storage blob does not hold exactly one storage")
    header = file.read(8)
    if len(header) != 8 or struct.unpack("<q", header)[0] != ref.numel:
        raise RefusedPickleError(f"{where}: a tensor storage blob's element count does not match its declaration")
    element_size = torch.empty((), dtype=ref.dtype).element_size()
    num_bytes = ref.numel * element_size
    if num_bytes > max_bytes:
        raise RefusedPickleError(f"{where}: a tensor storage declares {ref.numel} elements ({format_bytes(num_bytes)}), over "
                         f"the {format_bytes(max_bytes)} limit")
    start = file.tell()
    if len(blob) - start < num_bytes:
        raise RefusedPickleError(f"{where}: a tensor storage declares {ref.numel} elements ({format_bytes(num_bytes)}) but "
                         f"the blob holds only {format_bytes(len(blob) - start)} (truncated or forged)")
    if num_bytes == 0:
        return torch.empty(0, dtype=ref.dtype)
    with warnings.catch_warnings():
        # A view of the (immutable) blob, not a copy: the importer only reads it, then copies out fp32 tensors.
        warnings.filterwarnings("ignore", message="The given buffer is not writable")
        return torch.frombuffer(blob, dtype=ref.dtype, count=ref.numel, offset=start)


def _load_zip(blob: bytes, where: str, max_bytes: int) -> torch.Tensor:
    try:
        storage = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
    except Exception as exc:  # weights_only refusals are UnpicklingError; corrupt archives raise various types
        raise RefusedPickleError(f"{where}: cannot read a zip tensor storage blob safely: {exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TypedStorage deprecation notes
        if not isinstance(storage, torch.storage.TypedStorage):
            raise RefusedPickleError(f"{where}: a zip tensor storage blob holds a {type(storage).__name__}, not a storage")
        untyped, dtype = storage._untyped_storage, storage.dtype
    if untyped.nbytes() > max_bytes:
        raise RefusedPickleError(f"{where}: a tensor storage of {format_bytes(untyped.nbytes())} is over the "
                         f"{format_bytes(max_bytes)} limit")
    element_size = torch.empty((), dtype=dtype).element_size()
    flat = torch.empty(0, dtype=dtype)
    flat.set_(untyped, 0, (untyped.nbytes() // element_size,), (1,))
    return flat


def load_storage_blob(blob: bytes, *, where: str, max_bytes: int) -> torch.Tensor:
    """The storage in ``blob`` as a flat 1-D CPU tensor of its dtype (a read-only view of ``blob``: copy it to write).

    Args:
        blob: The bytes given to ``torch.storage._load_from_bytes`` in the pickle.
        where: File name for error messages.
        max_bytes: Refuse storages declaring more bytes than this.

    Raises:
        RefusedPickleError: (a ``ValueError``) for any global other than a ``torch.*Storage`` class, a
            malformed blob, or a declared size over ``max_bytes`` or larger than the data present.
    """
    if not isinstance(blob, (bytes, bytearray)):
        raise RefusedPickleError(f"{where}: a tensor storage is given as {type(blob).__name__}, expected bytes")
    if bytes(blob[:4]) == ZIP_MAGIC:
        return _load_zip(bytes(blob), where, max_bytes)
    return _load_legacy(blob, where, max_bytes)
