"""Exact, pickle-free storage of nested Python state as JSON + named tensors.

:func:`pack_tree` splits a tree (an optimizer state_dict, RNG states, loop counters) into a JSON value
and a flat ``{name: tensor}`` dict that safetensors can store; :func:`unpack_tree` rebuilds the tree.
JSON values stand for themselves (``str``, ``int``, finite ``float``, ``bool``, ``None``, lists, and
dicts with string keys); everything else becomes a one-key-tagged object:

============================================  ==========================================================
``{"__tensor__": name}``                      a torch tensor (any safetensors dtype, 0-dim included)
``{"__ndarray__": name}``                     a NumPy array stored natively as a tensor
``{"__ndarray__": name, "dtype", "shape"}``   a NumPy array of a dtype torch lacks, stored as raw bytes
``{"__npscalar__": dtype, "hex": bytes}``     a NumPy scalar (``np.float32(0.5)``), bit-exact
``{"__float__": "nan" | "inf" | "-inf"}``     a non-finite float (strict JSON has none)
``{"__tuple__": [...]}``                      a tuple
``{"__dict__": [[key, value], ...]}``         a dict with non-string keys (optimizer ``state``: int keys)
============================================  ==========================================================

Dict subclasses (``OrderedDict``) come back as ``dict`` and tuple subclasses (``torch.Size``) as
``tuple``; tensors come back on CPU without ``requires_grad``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

TAGS = frozenset({"__tensor__", "__ndarray__", "__npscalar__", "__float__", "__tuple__", "__dict__"})
_KEY_TYPES = (str, int, float, bool, type(None), tuple)

# NumPy dtypes that safetensors stores natively (through torch); others go in as raw bytes.
_NATIVE_NUMPY = {np.dtype(d) for d in ("float64", "float32", "float16", "int64", "int32", "int16", "int8",
                                       "uint8", "bool", "complex64", "uint16", "uint32", "uint64")}


def pack_tree(obj: Any, prefix: str) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split ``obj`` into a JSON value and the tensors it refers to.

    Args:
        obj: Nested dicts (any str/int/float/bool/None/tuple keys), lists, tuples, scalars, torch
            tensors, NumPy arrays and NumPy scalars.
        prefix: Start of every tensor name; names follow the path in the tree
            (``prefix.state.0.exp_avg``), made unique with ``~1``, ``~2``... if two paths collide.

    Returns:
        ``(json_obj, tensors)`` with tensors detached, contiguous and on CPU.

    Raises:
        ValueError: Naming the path of a value of an unsupported type.
    """
    tensors: dict[str, torch.Tensor] = {}

    def name_for(path: tuple[str, ...]) -> str:
        base = ".".join((prefix, *path)) if prefix else ".".join(path) or "tensor"
        name, k = base, 0
        while name in tensors:
            k += 1
            name = f"{base}~{k}"
        return name

    def pack(x: Any, path: tuple[str, ...]) -> Any:
        if isinstance(x, np.generic):  # before int/float: np.float64 subclasses float
            if x.dtype.hasobject:
                raise ValueError(f"cannot store a NumPy object scalar at {_where(prefix, path)}")
            return {"__npscalar__": x.dtype.str, "hex": x.tobytes().hex()}
        if x is None:
            return None
        if isinstance(x, bool):
            return bool(x)
        if isinstance(x, str):
            return str(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            return float(x) if math.isfinite(x) else {"__float__": repr(float(x))}
        if isinstance(x, torch.Tensor):
            if x.layout != torch.strided:
                raise ValueError(f"cannot store a {x.layout} tensor at {_where(prefix, path)}")
            name = name_for(path)
            tensors[name] = x.detach().to("cpu").contiguous()
            return {"__tensor__": name}
        if isinstance(x, np.ndarray):
            return _pack_ndarray(x, name_for(path), tensors, _where(prefix, path))
        if isinstance(x, tuple):
            return {"__tuple__": [pack(v, path + (str(i),)) for i, v in enumerate(x)]}
        if isinstance(x, list):
            return [pack(v, path + (str(i),)) for i, v in enumerate(x)]
        if isinstance(x, dict):
            bad = [k for k in x if not isinstance(k, _KEY_TYPES)]
            if bad:
                raise ValueError(f"cannot store dict key {bad[0]!r} ({type(bad[0]).__name__}) at {_where(prefix, path)}")
            if all(type(k) is str for k in x) and not TAGS.intersection(x):
                return {k: pack(v, path + (k,)) for k, v in x.items()}
            return {"__dict__": [[pack(k, path + ("key",)), pack(v, path + (str(k),))] for k, v in x.items()]}
        raise ValueError(f"cannot store a {type(x).__module__}.{type(x).__qualname__} at {_where(prefix, path)}; "
                         "checkpoints hold only tensors, arrays, numbers, strings, lists, tuples and dicts")

    return pack(obj, ()), tensors


def _where(prefix: str, path: tuple[str, ...]) -> str:
    return ".".join((prefix, *path)) if prefix or path else "the root"


def _pack_ndarray(x: np.ndarray, name: str, tensors: dict[str, torch.Tensor], where: str) -> dict[str, Any]:
    if x.dtype.hasobject:
        raise ValueError(f"cannot store a NumPy object array at {where}")
    x = x if x.flags.c_contiguous else x.copy(order="C")
    if x.dtype in _NATIVE_NUMPY and x.dtype.isnative:
        tensors[name] = torch.from_numpy(x.copy() if not x.flags.writeable else x)
        return {"__ndarray__": name}
    tensors[name] = torch.from_numpy(np.frombuffer(x.tobytes(), dtype=np.uint8).copy())
    return {"__ndarray__": name, "dtype": x.dtype.str, "shape": list(x.shape)}


def unpack_tree(json_obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`pack_tree`: rebuild the tree from its JSON value and tensors.

    Raises:
        ValueError: A tensor named in ``json_obj`` is missing, or a tagged object is malformed.
    """

    def tensor(name: Any) -> torch.Tensor:
        if not isinstance(name, str) or name not in tensors:
            raise ValueError(f"tensor {name!r} referenced by the state is missing")
        return tensors[name]

    def unpack(j: Any) -> Any:
        if isinstance(j, list):
            return [unpack(v) for v in j]
        if not isinstance(j, dict):
            return j
        tag = next((k for k in j if k in TAGS), None)
        if tag is None:
            return {k: unpack(v) for k, v in j.items()}
        value = j[tag]
        if tag == "__tensor__":
            return tensor(value)
        if tag == "__ndarray__":
            if "dtype" not in j:
                return tensor(value).numpy()
            raw = tensor(value).numpy().tobytes()
            return np.frombuffer(raw, dtype=np.dtype(j["dtype"])).reshape(j["shape"]).copy()
        if tag == "__npscalar__":
            return np.frombuffer(bytes.fromhex(j["hex"]), dtype=np.dtype(value))[0]
        if tag == "__float__":
            return float(value)
        if tag == "__tuple__":
            return tuple(unpack(v) for v in value)
        return {_hashable(unpack(k)): unpack(v) for k, v in value}  # "__dict__"

    try:
        return unpack(json_obj)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed packed state: {exc!r}") from None


def _hashable(key: Any) -> Any:
    if isinstance(key, list):  # only from a hand-edited file: pack_tree writes tuples as "__tuple__"
        raise ValueError(f"malformed packed state: list {key!r} used as a dict key")
    return key
