"""A restricted unpickler for official StyleGAN2-ADA / StyleGAN3 network pickles (REFERENCE Part 1, sections 3-4).

The official loader runs code three ways: pickle REDUCE on any global, ``exec(module_src)`` for every
network class, and a nested ``torch.load(weights_only=False)`` per tensor storage. This unpickler resolves
only an allow-list of globals, each to an inert stand-in:

* ``torch_utils.persistence._reconstruct_persistent_obj`` -> :class:`PersistentStub` (keeps ``class_name``,
  ``state`` and the ``module_src`` text, which is never executed nor imported);
* ``dnnlib.util.EasyDict`` -> :class:`EasyDictStub` (a ``dict``); ``collections.OrderedDict``; ``builtins.set``;
* ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_parameter[_with_state]`` -> bounds-checked views of
  storages read by :func:`~ganforge.compat.storage_blob.load_storage_blob` (``torch.storage._load_from_bytes``);
* numpy scalars, dtypes and (StyleGAN3) ndarrays -> only for bool/int/uint/float/complex dtypes;
* ``_codecs.encode`` (how protocol 2 spells bytes) -> only ``latin1`` text to bytes.

No module named in the file is imported. Everything else is refused with a ``ValueError`` naming the
global and the file. File size, storage bytes and tensor sizes are capped (``max_bytes``, 4 GiB default).
"""

from __future__ import annotations

import collections
import math
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np
import torch

from ganforge.compat.storage_blob import ZIP_MAGIC, RefusedPickleError, format_bytes, load_storage_blob, short_repr

DEFAULT_MAX_BYTES = 4 * 1024**3
"""Default cap on the file size, on the total tensor storage bytes and on the total (fp32) tensor bytes."""

PERSISTENCE_VERSION = 6
"""``torch_utils.persistence`` format version written by stylegan2-ada-pytorch and stylegan3."""

_NUMERIC_KINDS = "biufc"


@dataclass(eq=False)
class PersistentStub:
    """An official persistent object (network, layer, augment pipe), kept as data."""

    class_name: str
    """Class name inside ``module_src``, e.g. ``"Generator"``."""
    module_src: str
    """Full text of the module that defined the class (provenance only: never executed)."""
    state: dict[str, Any]
    """``nn.Module.__dict__``-like: ``_parameters``, ``_buffers``, ``_modules``, attributes, ``_init_kwargs``."""
    version: int = PERSISTENCE_VERSION

    def attr(self, name: str, default: Any = None) -> Any:
        """A plain attribute of the original object (e.g. ``w_avg_beta``), or ``default``."""
        return self.state.get(name, default)

    def child(self, name: str) -> PersistentStub | None:
        """The submodule ``name`` (``None`` when absent or not a persistent object)."""
        modules = self.state.get("_modules") or {}
        value = modules.get(name) if isinstance(modules, dict) else None
        return value if isinstance(value, PersistentStub) else None

    def __setstate__(self, state: Any) -> None:
        # The official REDUCE carries no separate state; a BUILD here could only swap the fields for junk.
        raise TypeError("a persistent object was given extra state (BUILD)")

    def __repr__(self) -> str:
        return f"PersistentStub({self.class_name!r}, {len(self.module_src)} chars of source)"


class EasyDictStub(dict):
    """Stand-in for ``dnnlib.util.EasyDict`` (a dict with attribute access; only the items matter here)."""


class DTypeStub:
    """Stand-in for ``numpy.dtype(name, align, copy)`` + BUILD: records the arguments, resolved on use."""

    def __init__(self, obj: Any = None, align: Any = False, copy: Any = False):
        self.obj = obj
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def resolve(self, where: str) -> np.dtype:
        """The numpy dtype; only bool/int/uint/float/complex of either byte order."""
        name = self.obj
        if not isinstance(name, str) or not re.fullmatch(r"[?biufc][0-9]{0,2}", name):
            raise RefusedPickleError(f"{where}: refusing numpy dtype {short_repr(name)} (only plain numeric dtypes)")
        dtype = np.dtype(name)
        byteorder = self.state[1] if isinstance(self.state, tuple) and len(self.state) > 1 else "|"
        if byteorder not in ("<", ">", "|", "="):
            raise RefusedPickleError(f"{where}: malformed numpy dtype state {short_repr(self.state)}")
        if dtype.kind not in _NUMERIC_KINDS:
            raise RefusedPickleError(f"{where}: refusing numpy dtype {dtype} (only plain numeric dtypes)")
        return dtype.newbyteorder(">") if byteorder == ">" else dtype


class _NDArrayClass:
    """What ``numpy.ndarray`` resolves to: a marker accepted only as the subtype of ``_reconstruct``."""


class NDArrayStub:
    """Stand-in for an ndarray from ``numpy.core.multiarray._reconstruct``; BUILD turns it into ``.array``."""

    def __init__(self, where: str):
        self.where = where
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5 and isinstance(state[2], DTypeStub)):
            raise RefusedPickleError(f"{self.where}: malformed numpy array state")
        _, shape, dtype_stub, is_fortran, raw = state
        self.array = _array_from_bytes(raw, dtype_stub.resolve(self.where), shape, "F" if is_fortran else "C",
                                       self.where)

    def __repr__(self) -> str:
        return f"NDArrayStub({self.array!r})"


def _array_from_bytes(raw: Any, dtype: np.dtype, shape: Any, order: str, where: str) -> np.ndarray:
    if not isinstance(raw, (bytes, bytearray)) or not isinstance(shape, tuple):
        raise RefusedPickleError(f"{where}: malformed numpy array data")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise RefusedPickleError(f"{where}: malformed numpy array shape {short_repr(shape)}")
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise RefusedPickleError(f"{where}: numpy array data does not match its shape {shape}")
    return np.frombuffer(bytes(raw), dtype=dtype).reshape(shape, order=order).copy()


def _int_tuple(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, torch.Size):
        value = tuple(value)
    if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    return value


def _geometry(t: torch.Tensor) -> tuple:
    """What ``set_`` can change: size, stride, offset, dtype and storage."""
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.dtype, t.untyped_storage().data_ptr())


@dataclass
class _Budget:
    max_bytes: int
    storage_bytes: int = 0
    tensor_bytes: int = 0


@dataclass(eq=False)
class _Storage:
    """A storage read from its blob: a flat 1-D tensor."""

    flat: torch.Tensor


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles an official network pickle into stubs, tensors and plain data; refuses any other global.

    Args:
        file: Binary file positioned at the pickle.
        where: File name for error messages.
        max_bytes: Cap on the total storage bytes and on the total tensor bytes (counted as fp32).
    """

    def __init__(self, file: BinaryIO, *, where: str, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(file)
        self.where = where
        self._budget = _Budget(max_bytes)
        self._built: list[tuple[torch.Tensor, tuple]] = []  # every tensor made, with its geometry at birth
        scalar, reconstruct, frombuffer = self._numpy_scalar, self._numpy_reconstruct, self._numpy_frombuffer
        self._globals: dict[tuple[str, str], Callable[..., Any] | type] = {
            ("torch_utils.persistence", "_reconstruct_persistent_obj"): self._reconstruct_persistent_obj,
            ("dnnlib.util", "EasyDict"): EasyDictStub,
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("builtins", "set"): set,
            ("__builtin__", "set"): set,
            ("_codecs", "encode"): self._latin1_encode,
            ("torch._utils", "_rebuild_tensor_v2"): self._rebuild_tensor_v2,
            ("torch._utils", "_rebuild_parameter"): self._rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self._rebuild_parameter,
            ("torch.storage", "_load_from_bytes"): self._load_from_bytes,
            ("numpy", "dtype"): DTypeStub,
            ("numpy", "ndarray"): _NDArrayClass,
            ("numpy.core.multiarray", "scalar"): scalar, ("numpy._core.multiarray", "scalar"): scalar,
            ("numpy.core.multiarray", "_reconstruct"): reconstruct, ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy.core.numeric", "_frombuffer"): frombuffer, ("numpy._core.numeric", "_frombuffer"): frombuffer,
        }

    def find_class(self, module: str, name: str) -> Any:
        stand_in = self._globals.get((module, name))
        if stand_in is not None:
            return stand_in
        hint = " (a TensorFlow-era StyleGAN pickle: not supported)" if module.startswith("dnnlib.tflib") else ""
        raise RefusedPickleError(f"{self.where}: refusing to load global '{module}.{name}'{hint} "
                                 "(not a StyleGAN network pickle, or a malicious one)")

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickleError(f"{self.where}: unexpected persistent id {short_repr(pid)} in an official network pickle")

    def _refuse(self, message: str) -> RefusedPickleError:
        return RefusedPickleError(f"{self.where}: {message}")

    def load(self) -> Any:
        """Unpickle, then check that no tensor was re-shaped after it was built.

        A BUILD opcode on a tensor calls ``Tensor.__setstate__``, i.e. ``set_(source, offset, size, stride)``:
        that could give a checked tensor a new, unchecked (e.g. huge stride-0) geometry that a later copy would
        allocate. Official pickles never BUILD tensors, so any change is refused here, before any copy.
        """
        result = super().load()
        for tensor, geometry in self._built:
            if _geometry(tensor) != geometry:
                raise self._refuse(f"a tensor was re-shaped after it was built (BUILD / set_) to size "
                                   f"{list(tensor.shape)}, stride {list(tensor.stride())}: not an official pickle")
        return result

    # --- persistence ---------------------------------------------------------------------------------------
    def _reconstruct_persistent_obj(self, meta: Any) -> PersistentStub:
        if not isinstance(meta, dict):
            raise self._refuse(f"persistent object metadata is a {type(meta).__name__}, expected a dict")
        if meta.get("type") != "class":
            raise self._refuse(f"unsupported persistent object type {short_repr(meta.get('type'))} (expected 'class')")
        version = meta.get("version")
        if version != PERSISTENCE_VERSION:
            raise self._refuse(f"unsupported torch_utils.persistence format version {short_repr(version)} "
                               f"(expected {PERSISTENCE_VERSION})")
        class_name, module_src, state = meta.get("class_name"), meta.get("module_src"), meta.get("state")
        if not isinstance(class_name, str) or not isinstance(module_src, str) or not isinstance(state, dict):
            raise self._refuse("malformed persistent object (needs class_name, module_src and a state dict)")
        return PersistentStub(class_name=class_name, module_src=module_src, state=state, version=version)

    def _latin1_encode(self, text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise self._refuse(f"refusing _codecs.encode({type(text).__name__}, {short_repr(encoding)}) (only latin1 text)")
        return text.encode("latin1")

    # --- torch ---------------------------------------------------------------------------------------------
    def _load_from_bytes(self, blob: Any) -> _Storage:
        remaining = self._budget.max_bytes - self._budget.storage_bytes
        flat = load_storage_blob(blob, where=self.where, max_bytes=remaining)
        self._budget.storage_bytes += flat.numel() * flat.element_size()
        return _Storage(flat)

    def _rebuild_tensor_v2(self, storage: Any, storage_offset: Any, size: Any, stride: Any, requires_grad: Any,
                           backward_hooks: Any, metadata: Any = None) -> torch.Tensor:
        size_t, stride_t = _int_tuple(size), _int_tuple(stride)
        if not isinstance(storage, _Storage) or size_t is None or stride_t is None or len(size_t) != len(stride_t):
            raise self._refuse("malformed tensor record")
        if isinstance(storage_offset, bool) or not isinstance(storage_offset, int) or storage_offset < 0:
            raise self._refuse(f"malformed tensor storage offset {short_repr(storage_offset)}")
        if any(s < 0 for s in size_t) or any(s < 0 for s in stride_t):
            raise self._refuse(f"negative tensor size or stride {size_t}/{stride_t}")
        self._check_hooks(backward_hooks)
        if metadata:
            raise self._refuse(f"unsupported tensor metadata {short_repr(metadata)}")
        numel = math.prod(size_t)
        flat = storage.flat
        tensor_bytes = numel * max(flat.element_size(), 4)
        self._budget.tensor_bytes += tensor_bytes
        if self._budget.tensor_bytes > self._budget.max_bytes:
            raise self._refuse(f"the tensors declare {format_bytes(self._budget.tensor_bytes)} in all (a tensor of "
                               f"size {list(size_t)}), over the {format_bytes(self._budget.max_bytes)} limit")
        if numel > 0:
            last = storage_offset + sum((s - 1) * st for s, st in zip(size_t, stride_t))
            if last >= flat.numel():
                raise self._refuse(f"a tensor of size {list(size_t)} reads past the end of its storage "
                                   f"({flat.numel()} elements)")
        tensor = flat.as_strided(size_t, stride_t, storage_offset)
        self._built.append((tensor, _geometry(tensor)))
        return tensor

    def _rebuild_parameter(self, data: Any, requires_grad: Any, backward_hooks: Any, state: Any = None) -> torch.Tensor:
        if not isinstance(data, torch.Tensor):
            raise self._refuse("malformed parameter record")
        self._check_hooks(backward_hooks)
        return data  # the state dict only needs the data; Python attributes of the Parameter (state) are dropped

    def _check_hooks(self, hooks: Any) -> None:
        if not isinstance(hooks, dict) or hooks:
            raise self._refuse("tensors with backward hooks are not supported")

    # --- numpy ---------------------------------------------------------------------------------------------
    def _numpy_scalar(self, dtype: Any, data: Any = None) -> np.generic:
        if not isinstance(dtype, DTypeStub):
            raise self._refuse("malformed numpy scalar")
        resolved = dtype.resolve(self.where)
        if not isinstance(data, (bytes, bytearray)) or len(data) != resolved.itemsize:
            raise self._refuse(f"malformed numpy scalar data for dtype {resolved}")
        return np.frombuffer(bytes(data), dtype=resolved)[0]

    def _numpy_reconstruct(self, subtype: Any, shape: Any = None, dtype_code: Any = None) -> NDArrayStub:
        if subtype is not _NDArrayClass:
            raise self._refuse("refusing numpy _reconstruct of anything but numpy.ndarray")
        return NDArrayStub(self.where)

    def _numpy_frombuffer(self, buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
        if not isinstance(dtype, DTypeStub) or order not in ("C", "F"):
            raise self._refuse("malformed numpy array record")
        return _array_from_bytes(buffer, dtype.resolve(self.where), shape, order, self.where)


def load_restricted(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler` (never executes code from the file).

    Args:
        path: The ``.pkl`` file.
        max_bytes: Cap on the file size, the total storage bytes and the total tensor bytes.

    Returns:
        The top-level object: for an official snapshot a dict of :class:`PersistentStub` networks and data.
        Tensors in it are views of the file's storage blobs (read-only memory): copy them before writing.

    Raises:
        ValueError: (:class:`RefusedPickleError`) naming the file: too large, not a pickle, truncated, a
            refused global, a malformed record, or a size over the cap.
    """
    path = Path(path)
    try:
        num_bytes = path.stat().st_size
        if num_bytes > max_bytes:
            raise RefusedPickleError(f"{path}: the file is {format_bytes(num_bytes)}, over the "
                                     f"{format_bytes(max_bytes)} limit (raise max_bytes to load it)")
        with path.open("rb") as file:
            if file.read(4) == ZIP_MAGIC:
                raise RefusedPickleError(f"{path}: a zip archive (e.g. a torch.save checkpoint), not an official "
                                         "StyleGAN network pickle")
            file.seek(0)
            return RestrictedUnpickler(file, where=str(path), max_bytes=max_bytes).load()
    except RefusedPickleError:
        raise
    except OSError as exc:
        raise RefusedPickleError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except RecursionError:
        raise RefusedPickleError(f"{path}: the pickle is nested too deeply") from None
    except Exception as exc:  # truncated or garbage data raises EOFError, UnpicklingError, TypeError, ...
        raise RefusedPickleError(f"{path}: not a readable StyleGAN network pickle "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None
