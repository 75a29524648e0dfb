"""Training checkpoints: one safetensors file per snapshot, written atomically, enough to resume exactly.

A checkpoint ``network-snapshot-{kimg:06d}.safetensors`` holds the module state_dicts as tensors
``G.<key>``, ``D.<key>``, ``G_ema.<key>``, the optimizer tensors ``optim.<name>.<path>`` and the
state tensors ``state.<path>``. Everything else is JSON text in the safetensors metadata:
``ganforge_format="checkpoint"``, ``format_version="1"``, ``ganforge_version``, ``config`` (the
resolved training config), ``state`` and ``optimizers`` (trees from :func:`pack_tree`), ``modules``
(the module names) and ``sha256`` (see :func:`checkpoint_digest`). No pickle anywhere: a checkpoint
is data, and loading one never runs code. The format is described in ``docs/checkpoints.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import safetensors.torch
import torch

from ganforge.train.rng import capture_rng_state, restore_rng_state
from ganforge.train.tree import pack_tree, unpack_tree
from ganforge.utils.atomic import atomic_write
from ganforge.version import __version__

__all__ = [
    "FORMAT_VERSION", "Checkpoint", "save_checkpoint", "load_checkpoint", "checkpoint_filename", "checkpoint_digest",
    "snapshot_path", "find_checkpoints", "prune_checkpoints", "resolve_resume", "pack_tree", "unpack_tree",
    "capture_rng_state", "restore_rng_state",
]

FORMAT = "checkpoint"
FORMAT_VERSION = "1"
CHECKPOINT_RE = re.compile(r"^network-snapshot-(\d+)(?:_(\d{3}))?\.safetensors$")  # see snapshot_path()
RUN_DIR_RE = re.compile(r"^(\d+)-")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = ("optim", "state")
_MAX_HEADER = 100_000_000  # the safetensors reference implementation's limit

# safetensors dtype codes: part of the checksum, so that readers without torch can recompute it.
_DTYPE_CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                torch.bool: "BOOL", torch.complex64: "C64"}
for _name, _code in (("uint16", "U16"), ("uint32", "U32"), ("uint64", "U64")):
    if hasattr(torch, _name):
        _DTYPE_CODES[getattr(torch, _name)] = _code


def checkpoint_filename(cur_nimg: int) -> str:
    """``network-snapshot-{kimg:06d}.safetensors`` with ``kimg = cur_nimg // 1000``."""
    return f"network-snapshot-{cur_nimg // 1000:06d}.safetensors"


def snapshot_path(run_dir: str | Path, cur_nimg: int) -> Path:
    """:func:`checkpoint_filename`, or ``network-snapshot-{kimg:06d}_{cur_nimg % 1000:03d}.safetensors`` when an
    earlier snapshot of the same kimg has that name (``--tick`` < 1): no snapshot overwrites another, and the
    suffixed name sorts after the plain one, by :func:`find_checkpoints` and as text."""
    plain = Path(run_dir) / checkpoint_filename(cur_nimg)
    return plain.with_name(f"{plain.name[:-12]}_{cur_nimg % 1000:03d}.safetensors") if plain.exists() else plain


def _order(path: Path) -> tuple[int, int, str]:
    """Sort key of a checkpoint name: ``(kimg, images past it or -1 for the plain name, name)``."""
    match = CHECKPOINT_RE.match(path.name)
    return (int(match.group(1)), int(match.group(2) or -1), path.name) if match else (-1, -1, path.name)


def checkpoint_digest(metadata: Mapping[str, str], tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 (hex) over the metadata (except ``sha256``) and all tensors, each in sorted-name order.

    Per metadata entry: ``b"meta\\0" + key + b"\\0" + len(value) + b"\\0" + value`` (UTF-8, decimal length);
    then per tensor: ``b"tensor\\0" + name + b"\\0" + dtype + b"\\0" + shape + b"\\0" + nbytes + b"\\0"``
    followed by the raw little-endian bytes, with ``dtype`` the safetensors code (``F32``, ``U8``, ...)
    and ``shape`` the comma-joined sizes (empty for 0-dim). Any flipped byte in the file changes it.
    """
    h = hashlib.sha256()
    for key in sorted(metadata):
        if key != "sha256":
            value = metadata[key].encode()
            h.update(b"meta\0%s\0%d\0" % (key.encode(), len(value)))
            h.update(value)
    for name in sorted(tensors):
        t = tensors[name]
        raw = t.reshape(-1).view(torch.uint8).numpy()  # zero-copy view of a contiguous CPU tensor
        shape = ",".join(str(s) for s in t.shape)
        h.update(b"tensor\0%s\0%s\0%s\0%d\0" % (name.encode(), _DTYPE_CODES[t.dtype].encode(), shape.encode(), raw.nbytes))
        h.update(raw)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------- save


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name) or name in _RESERVED:
        raise ValueError(f"{kind} name {name!r} must be an identifier other than {list(_RESERVED)}")


def _unshare(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Clone tensors that share storage with an earlier one (safetensors refuses shared memory)."""
    seen: set[int] = set()
    for name, t in tensors.items():
        if t.numel() == 0:
            continue
        ptr = t.untyped_storage().data_ptr()
        if ptr in seen:
            tensors[name] = t.clone()
        seen.add(ptr)
    return tensors


def _check_dtypes(tensors: Mapping[str, torch.Tensor]) -> None:
    for name, t in tensors.items():
        if t.dtype not in _DTYPE_CODES:
            raise ValueError(f"tensor {name!r} has dtype {t.dtype}, which a checkpoint cannot store")


def _json(what: str, obj: Any) -> str:
    try:
        return json.dumps(obj, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint {what} is not plain JSON data: {exc}") from None


def save_checkpoint(
    path: str | Path,
    *,
    modules: Mapping[str, torch.nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    config: dict,
    state: dict,
) -> Path:
    """Write a checkpoint atomically: a crash midway leaves any earlier file at ``path`` untouched.

    Args:
        path: Target file, normally ``run_dir / checkpoint_filename(cur_nimg)``.
        modules: e.g. ``{"G": G, "D": D, "G_ema": G_ema}``; their state_dicts are stored on CPU.
        optimizers: e.g. ``{"G": opt_G, "D": opt_D}``; their state_dicts (int keys, step tensors) are stored.
        config: The full resolved training config (JSON data, or a ``Config``); ``config["model"]``
            is the model config dict.
        state: Any tree :func:`pack_tree` accepts: ``cur_nimg``, ``pl_mean``, RNG states, sampler state, ...

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError("save_checkpoint: config and state must be dicts")
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        _check_name("module", name)
        for key, t in module.state_dict().items():
            tensors[f"{name}.{key}"] = t.detach().to("cpu").contiguous()
    optim_json = {}
    for name, opt in optimizers.items():
        _check_name("optimizer", name)
        optim_json[name], opt_tensors = pack_tree(opt.state_dict(), f"optim.{name}")
        tensors.update(opt_tensors)
    state_json, state_tensors = pack_tree(state, "state")
    tensors.update(state_tensors)
    tensors = _unshare(tensors)
    _check_dtypes(tensors)
    metadata = {
        "ganforge_format": FORMAT, "format_version": FORMAT_VERSION, "ganforge_version": __version__,
        "config": _json("config", config), "state": _json("state", state_json),
        "optimizers": _json("optimizer state", optim_json), "modules": _json("module names", list(modules)),
    }
    metadata["sha256"] = checkpoint_digest(metadata, tensors)
    # save_file streams the tensors to disk; safetensors.torch.save would first build the whole file in memory.
    atomic_write(path, lambda tmp: safetensors.torch.save_file(tensors, tmp, metadata=metadata))
    return path


# ----------------------------------------------------------------------------------------------- load


@dataclass
class Checkpoint:
    """A loaded checkpoint (all tensors on CPU)."""

    path: Path
    config: dict
    """The resolved training config dict (sectioned; ``config["model"]["arch"]`` is the model config dict; flat in
    checkpoints of ganforge 0.x, see ``train/migrate.py``)."""
    state: dict
    """The unpacked state tree given to :func:`save_checkpoint`."""
    modules: dict[str, dict[str, torch.Tensor]]
    """``"G"``, ``"D"``, ``"G_ema"`` (whichever were saved) -> state_dict."""
    optimizers: dict[str, dict]
    """Optimizer name -> torch optimizer state_dict (int keys restored)."""
    metadata: dict[str, str] = field(default_factory=dict)
    """The raw safetensors metadata (``ganforge_version``, ``sha256``, ...)."""

    def model_config(self) -> Any:
        """The model config (``ganforge.models.model_config_from_dict(config["model"])``)."""
        from ganforge.models import model_config_from_dict

        model = self.config.get("model")
        if isinstance(model, dict) and "arch" in model:  # sectioned config; 0.x configs hold the model dict itself
            model = model["arch"]
        if not isinstance(model, dict):
            raise ValueError(f"{self.path}: the checkpoint config has no model config ('model.arch')")
        return model_config_from_dict(model)


class _Damaged(ValueError):
    """A truncated or corrupt checkpoint (the message gets the name of an intact earlier one appended)."""


def _read_header(path: Path) -> tuple[dict[str, str], int]:
    """``(metadata, expected file size)``; ``ValueError`` when ``path`` is not a safetensors file."""
    if not path.exists():
        raise ValueError(f"{path}: no such checkpoint file")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a checkpoint file")
    if not path.is_file():  # a FIFO or device would block or stream forever
        raise ValueError(f"{path} is not a regular file (a pipe or device?); give a checkpoint file")
    size = path.stat().st_size
    not_st = f"{path} is not a safetensors file (bad header); checkpoints are network-snapshot-*.safetensors files"
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{not_st} [only {len(head)} bytes]")
        n = int.from_bytes(head, "little")
        raw = f.read(min(n, _MAX_HEADER))
    if n > size - 8:
        if n <= _MAX_HEADER and raw[:1] == b"{":
            raise _Damaged(f"{path} is truncated ({size} bytes, the header alone needs {8 + n})")
        raise ValueError(not_st)
    try:
        header = json.loads(raw)
        metadata = header.pop("__metadata__", None) or {}
        end = max((int(spec["data_offsets"][1]) for spec in header.values()), default=0)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise ValueError(not_st) from None
    if not isinstance(metadata, dict):
        raise ValueError(not_st)
    return metadata, 8 + n + end


def _previous_intact(path: Path) -> str:
    """A sentence naming the newest older checkpoint in ``path``'s folder that verifies."""
    older = [p for p in find_checkpoints(path.parent) if p.name != path.name]
    if CHECKPOINT_RE.match(path.name):
        older = [p for p in older if _order(p) < _order(path)]
    for candidate in reversed(older):
        try:
            _load(candidate, verify=True, hint=False)
        except ValueError:
            continue
        return f"the previous checkpoint {candidate} is intact"
    return f"no earlier intact checkpoint in {path.parent}"


def _load(path: Path, *, verify: bool, hint: bool) -> Checkpoint:
    try:
        return _load_unchecked(path, verify=verify)
    except _Damaged as exc:
        raise ValueError(f"{exc}; {_previous_intact(path)}" if hint else str(exc)) from None


def _load_unchecked(path: Path, *, verify: bool) -> Checkpoint:
    metadata, expected = _read_header(path)
    fmt = metadata.get("ganforge_format")
    if fmt != FORMAT:
        raise ValueError(f"{path} is a safetensors file but not a ganforge checkpoint "
                         f"(ganforge_format={fmt!r}, expected {FORMAT!r})")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format_version {metadata.get('format_version')!r}; "
                         f"ganforge {__version__} reads format_version {FORMAT_VERSION}")
    size = path.stat().st_size
    if size < expected:
        raise _Damaged(f"{path} is truncated ({size} bytes, expected {expected})")
    if size > expected:
        raise _Damaged(f"{path} is corrupt ({size - expected} unexpected bytes after the tensor data)")
    try:
        tensors = safetensors.torch.load_file(str(path))
    except Exception as exc:  # safetensors raises its own error type for a damaged header
        raise _Damaged(f"{path} is corrupt (unreadable tensors: {exc})") from None
    odd = next((name for name, t in tensors.items() if t.dtype not in _DTYPE_CODES), None)
    if odd is not None:  # e.g. float8: never written by save_checkpoint
        raise ValueError(f"{path}: tensor {odd!r} has dtype {tensors[odd].dtype}, which no ganforge checkpoint holds")
    if verify and checkpoint_digest(metadata, tensors) != metadata.get("sha256"):
        raise _Damaged(f"{path} is corrupt (sha256 mismatch)")
    try:
        config = json.loads(metadata["config"])
        state = unpack_tree(json.loads(metadata["state"]), tensors)
        optimizers = {k: unpack_tree(v, tensors) for k, v in json.loads(metadata["optimizers"]).items()}
        modules: dict[str, dict[str, torch.Tensor]] = {str(name): {} for name in json.loads(metadata["modules"])}
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise _Damaged(f"{path} is corrupt (bad metadata: {exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: the checkpoint metadata is nested too deeply to be ganforge's") from None
    for key, t in tensors.items():
        prefix, _, rest = key.partition(".")
        if prefix in modules:
            modules[prefix][rest] = t
    from ganforge.train.checkpoint_check import check_networks  # imports the model registry
    check_networks(path, config, modules)
    return Checkpoint(path=path, config=config, state=state, modules=modules, optimizers=optimizers, metadata=metadata)


def load_checkpoint(path: str | Path, *, verify: bool = True) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Args:
        path: The ``.safetensors`` file.
        verify: Check the ``sha256`` (costs about 0.1 s per 100 MB).

    Raises:
        ValueError: Naming the file, when it is missing, not a safetensors file, truncated, not a
            ganforge checkpoint, of an unsupported format_version, or corrupt (sha256 mismatch); for a
            damaged file the message also names the newest earlier checkpoint that is intact.
    """
    return _load(Path(path), verify=verify, hint=True)


# ------------------------------------------------------------------------------------ finding & retention


def find_checkpoints(folder: str | Path) -> list[Path]:
    """The ``network-snapshot-*.safetensors`` files directly in ``folder``, oldest (lowest kimg) first.

    A folder that does not exist has no checkpoints (``[]``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if CHECKPOINT_RE.match(p.name) and p.is_file()]
    return sorted(found, key=_order)


def prune_checkpoints(folder: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints in ``folder`` (and temp files of interrupted saves).

    With ``keep`` or fewer checkpoints none is deleted; ``keep=0`` deletes all (training skips it for ``--keep 0``).

    Returns:
        The deleted paths.
    """
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise ValueError(f"prune_checkpoints: keep must be an int >= 0, got {keep!r}")
    found = find_checkpoints(folder)
    doomed = found[:max(0, len(found) - keep)]
    if Path(folder).is_dir():
        doomed += sorted(Path(folder).glob(".network-snapshot-*.safetensors.*.tmp"))
    for p in doomed:
        p.unlink(missing_ok=True)
    return doomed


def _run_dirs(outdir: Path) -> list[Path]:
    """Run folders ``outdir/NNNNN-*``, newest (highest run id) first."""
    if not outdir.is_dir():
        return []
    runs = [p for p in outdir.iterdir() if p.is_dir() and RUN_DIR_RE.match(p.name)]
    return sorted(runs, key=lambda p: (int(RUN_DIR_RE.match(p.name).group(1)), p.name), reverse=True)


def resolve_resume(spec: str, outdir: str | Path) -> Path:
    """Turn ``--resume`` into a verified checkpoint path.

    Args:
        spec: ``"latest"`` (the newest checkpoint of the newest run folder ``outdir/NNNNN-*`` that has
            one), a checkpoint file, or a run folder (its newest checkpoint). A relative path that does
            not exist is also tried relative to ``outdir``.
        outdir: The folder holding the run folders.

    Raises:
        ValueError: Nothing found, or the chosen checkpoint fails verification (the message names the
            newest earlier checkpoint that is intact).
    """
    outdir = Path(outdir)
    if spec == "latest":
        chosen = next((found[-1] for run in _run_dirs(outdir) if (found := find_checkpoints(run))), None)
        if chosen is None:
            raise ValueError(f"--resume latest: no checkpoint found in the run folders {outdir}/NNNNN-*")
    else:
        target = Path(spec)
        if not target.exists() and not target.is_absolute() and (outdir / target).exists():
            target = outdir / target
        if not target.exists():
            raise ValueError(f"--resume {spec}: no such file or folder (give 'latest', a checkpoint file or a run folder)")
        if target.is_dir():
            found = find_checkpoints(target)
            if not found:
                raise ValueError(f"--resume {spec}: no network-snapshot-*.safetensors in the folder {target}")
            target = found[-1]
        chosen = target
    try:
        _load(chosen, verify=True, hint=True)
    except ValueError as exc:
        raise ValueError(f"--resume {spec}: cannot resume from {chosen}: {exc}") from None
    return chosen
