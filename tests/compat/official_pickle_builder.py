"""Write pickles with the structure of official StyleGAN2-ADA / StyleGAN3 network pickles (REFERENCE Part 1).

No NVIDIA code is used or needed: stand-in objects emit the same opcodes and globals as the official
``torch_utils.persistence`` objects (a REDUCE of ``torch_utils.persistence._reconstruct_persistent_obj`` on a
``meta`` dict with ``type``, ``version``, ``module_src``, ``class_name`` and the ``nn.Module.__dict__``-like
``state``), ``dnnlib.util.EasyDict`` kwargs (NEWOBJ + SETITEMS), numpy scalars in the numpy 1.x or 2.x
spelling, and tensors as torch itself pickles them (``_rebuild_parameter`` / ``_rebuild_tensor_v2`` on a
``_load_from_bytes`` legacy blob, or a zip blob on request). The weights come from a ganforge model.
"""

from __future__ import annotations

import collections
import io
import pickle
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.models.stylegan2 import StyleGAN2Config

# Stand-in module texts: never executed by the importer; the identifiers mirror what detection looks for.
ADA_SRC = "# stand-in for stylegan2-ada-pytorch training/networks.py\n# G.forward(z, c, skip_w_avg_update=False)\n"
SG3_SG2_SRC = "# stand-in for stylegan3 training/networks_stylegan2.py\n# fused_modconv_default; update_emas\n"
SG3_SG3_SRC = "# stand-in for stylegan3 training/networks_stylegan3.py\nclass SynthesisInput: ...\n"
AUGMENT_SRC = "# stand-in for training/augment.py\n"


def _tag(obj: Any, module: str, name: str) -> Any:
    obj.__official_global__ = (module, name)
    return obj


def _reconstruct_persistent_obj(meta: dict) -> Any:
    raise AssertionError("stand-in: only its pickled name is used")


def _numpy1_scalar(dtype: Any, data: bytes) -> Any:
    raise AssertionError("stand-in: only its pickled name is used")


_tag(_reconstruct_persistent_obj, "torch_utils.persistence", "_reconstruct_persistent_obj")
_tag(_numpy1_scalar, "numpy.core.multiarray", "scalar")


class EasyDict(dict):
    """Pickled as ``dnnlib.util.EasyDict`` (NEWOBJ + SETITEMS)."""


_tag(EasyDict, "dnnlib.util", "EasyDict")


class Persistent:
    """Pickled exactly as an official persistent object: ``_reconstruct_persistent_obj(meta)``."""

    def __init__(self, meta: dict[str, Any]):
        self.meta = meta

    def __reduce__(self) -> tuple:
        return (_reconstruct_persistent_obj, (self.meta,), None)


class Raw:
    """Pickles as ``callable(*args)`` (then BUILD ``state``) for any callable: forges hostile pickles."""

    def __init__(self, func: Any, *args: Any, state: Any = None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple:
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


@dataclass
class Style:
    """How the file is written."""

    protocol: int = 4
    torch1: bool = False
    """OrderedDict ``_parameters``/``_buffers``/``_modules`` (torch 1.x) instead of dicts (torch 2.x)."""
    numpy1: bool = False
    """numpy scalars as ``numpy.core.multiarray.scalar`` (numpy 1.x writers) instead of ``numpy._core``."""
    zip_storages: bool = False
    half: bool = False
    """Store floating tensors as fp16."""
    version: int = 6


class OfficialPickler(pickle._Pickler):  # the pure-Python pickler lets save_global be overridden
    """Writes tagged stand-ins under their official global names."""

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[types.FunctionType] = lambda self, obj: self.save_global(obj)  # the base entry bypasses overrides

    def __init__(self, file: io.BytesIO, style: Style):
        super().__init__(file, protocol=style.protocol)
        self.style = style

    def save_global(self, obj: Any, name: str | None = None) -> None:
        spec = getattr(obj, "__official_global__", None) if isinstance(obj, (type, types.FunctionType)) else None
        if spec is None:
            return super().save_global(obj, name)
        module, qualname = spec
        if self.proto >= 4:
            self.save(module)
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode() + b"\n" + qualname.encode() + b"\n")
        self.memoize(obj)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.generic) and self.style.numpy1:
            return (_numpy1_scalar, (obj.dtype, obj.tobytes()))
        if isinstance(obj, torch.storage.TypedStorage) and self.style.zip_storages:
            buffer = io.BytesIO()
            torch.save(obj, buffer)
            return (torch.storage._load_from_bytes, (buffer.getvalue(),))
        return NotImplemented


def dumps(obj: Any, style: Style | None = None) -> bytes:
    """Pickle ``obj`` (stand-ins included) like the official ``pickle.dump``."""
    buffer = io.BytesIO()
    OfficialPickler(buffer, style or Style()).dump(obj)
    return buffer.getvalue()


def _stored(tensor: torch.Tensor, style: Style) -> torch.Tensor:
    data = tensor.detach().clone()
    return data.half() if style.half and data.is_floating_point() else data


def persistent_module(module: torch.nn.Module, module_src: str, style: Style, init_kwargs: dict | None = None,
                      class_name: str | None = None, extra_attrs: dict | None = None) -> Persistent:
    """A ganforge module (and its children) as official persistent objects with the same tensors."""
    container = collections.OrderedDict if style.torch1 else dict
    params = container((k, None if p is None else torch.nn.Parameter(_stored(p, style), requires_grad=False))
                       for k, p in module._parameters.items())
    state: dict[str, Any] = {
        "training": False,
        "_parameters": params,
        "_buffers": container((k, None if b is None else _stored(b, style)) for k, b in module._buffers.items()),
        "_non_persistent_buffers_set": set(module._non_persistent_buffers_set),
    }
    for hooks in ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
                  "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                  "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                  "_load_state_dict_post_hooks"):
        state[hooks] = collections.OrderedDict()
    state["_is_full_backward_hook"] = None
    state["_modules"] = container((k, None if m is None else persistent_module(m, module_src, style))
                                  for k, m in module._modules.items())
    for key, value in vars(module).items():
        if key.startswith("_") or key == "training" or not isinstance(value, (int, float, str, list, type(None))):
            continue
        # The official layers keep their gains as numpy float64 (REFERENCE Part 1 section 2.2).
        state[key] = np.float64(value) if key in ("weight_gain", "act_gain") else value
    state.update(extra_attrs or {})
    state["_init_args"] = ()
    state["_init_kwargs"] = init_kwargs if init_kwargs is not None else {}
    meta = {"type": "class", "version": style.version, "module_src": module_src,
            "class_name": class_name or type(module).__name__, "state": state}
    return Persistent(meta)


def official_kwargs(cfg: StyleGAN2Config, layout: str) -> tuple[dict, dict]:
    """G and D ``_init_kwargs`` as ``train.py`` + ``training_loop.py`` pass them (``layout``: ada, sg3, pretrained)."""
    common = dict(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels)
    synthesis = EasyDict(channel_base=cfg.channel_base, channel_max=cfg.channel_max, num_fp16_res=cfg.num_fp16_res,
                         conv_clamp=cfg.conv_clamp)
    if cfg.g_architecture != "skip":
        synthesis["architecture"] = cfg.g_architecture
    mapping = EasyDict(num_layers=cfg.mapping_layers)
    if cfg.mapping_lr_multiplier != 0.01:
        mapping["lr_multiplier"] = cfg.mapping_lr_multiplier
    if layout == "pretrained":  # what a converted pretrained pickle spells out
        mapping.update(embed_features=None, layer_features=None, activation="lrelu",
                       lr_multiplier=cfg.mapping_lr_multiplier, w_avg_beta=cfg.w_avg_beta)
        synthesis.update(architecture=cfg.g_architecture, resample_filter=list(cfg.resample_filter), use_noise=True,
                         activation="lrelu")
    if layout == "sg3":
        G = dict(z_dim=cfg.z_dim, w_dim=cfg.w_dim, mapping_kwargs=mapping, **synthesis,
                 fused_modconv_default="inference_only", **common)
    else:
        G = dict(z_dim=cfg.z_dim, w_dim=cfg.w_dim, mapping_kwargs=mapping, synthesis_kwargs=synthesis, **common)
    epilogue = EasyDict(mbstd_group_size=cfg.mbstd_group_size)
    if cfg.mbstd_num_channels != 1:
        epilogue["mbstd_num_channels"] = cfg.mbstd_num_channels
    D = dict(block_kwargs=EasyDict(freeze_layers=0) if layout == "sg3" else EasyDict(),
             mapping_kwargs=EasyDict() if cfg.d_mapping_layers == 8 else EasyDict(num_layers=cfg.d_mapping_layers),
             epilogue_kwargs=epilogue, channel_base=cfg.channel_base, channel_max=cfg.channel_max,
             num_fp16_res=cfg.num_fp16_res, conv_clamp=cfg.conv_clamp, **common)
    if cfg.d_architecture != "resnet":
        D["architecture"] = cfg.d_architecture
    if cfg.cmap_dim is not None:
        D["cmap_dim"] = cfg.cmap_dim
    return G, D


def augment_pipe_stub(p: float, module_src: str = AUGMENT_SRC, style: Style | None = None) -> Persistent:
    """An AugmentPipe-like persistent object with the bgc probabilities and a ``p`` buffer."""
    pipe = torch.nn.Module()
    pipe.register_buffer("p", torch.tensor(p))
    pipe.register_buffer("Hz_geom", torch.randn(12))
    kwargs = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1, brightness=1, contrast=1,
                  lumaflip=1, hue=1, saturation=1, imgfilter_bands=[1, 1, 1, 1])
    return persistent_module(pipe, module_src, style or Style(), init_kwargs=kwargs, class_name="AugmentPipe")


def snapshot(cfg: StyleGAN2Config, networks: dict[str, torch.nn.Module], *, layout: str = "ada",
             style: Style | None = None, module_src: str | None = None, augment_p: float | None = 0.25,
             training_set_kwargs: dict | None = None) -> dict[str, Any]:
    """The ``snapshot_data`` dict of ``training_loop.py`` built from ganforge networks (any of G, D, G_ema)."""
    style = style or Style()
    src = module_src or (SG3_SG2_SRC if layout == "sg3" else ADA_SRC)
    g_kwargs, d_kwargs = official_kwargs(cfg, layout)
    data: dict[str, Any] = {}
    if layout != "pretrained":
        data["training_set_kwargs"] = training_set_kwargs or dict(
            class_name="training.dataset.ImageFolderDataset", path="/data/set.zip", use_labels=cfg.c_dim > 0,
            max_size=1000, xflip=False, resolution=cfg.img_resolution)
    for name in ("G", "D", "G_ema"):
        if name in networks:
            data[name] = persistent_module(networks[name], src, style, d_kwargs if name == "D" else g_kwargs)
    if layout != "pretrained":
        data["augment_pipe"] = None if augment_p is None else augment_pipe_stub(augment_p, style=style)
    return data


def stylegan3_stub(style: Style | None = None) -> dict[str, Any]:
    """A StyleGAN3-T-like G_ema: ``synthesis.input`` (SynthesisInput) + ``L0_36_16`` layers with ndarray attributes."""
    style = style or Style()
    synthesis = torch.nn.Module()
    synthesis.input = torch.nn.Module()
    synthesis.input.register_buffer("freqs", torch.randn(16, 2))
    synthesis.add_module("L0_36_16", torch.nn.Linear(4, 4))
    layer_attrs = {"in_size": np.array([36, 36]), "sampling_rate": np.float64(16.0)}
    G = torch.nn.Module()
    G.synthesis = synthesis
    stub = persistent_module(G, SG3_SG3_SRC, style, init_kwargs=dict(
        z_dim=16, c_dim=0, w_dim=16, img_resolution=16, img_channels=3, mapping_kwargs=EasyDict(num_layers=2),
        channel_base=32768, channel_max=16, magnitude_ema_beta=0.999), class_name="Generator")
    syn_stub = stub.meta["state"]["_modules"]["synthesis"]
    syn_stub.meta["class_name"] = "SynthesisNetwork"
    syn_stub.meta["state"]["_modules"]["input"].meta["class_name"] = "SynthesisInput"
    syn_stub.meta["state"]["_modules"]["L0_36_16"].meta["state"].update(layer_attrs)
    return {"G_ema": stub, "training_set_kwargs": None, "augment_pipe": None}


def write(path: Path, data: Any, style: Style | None = None) -> Path:
    """Pickle ``data`` to ``path`` and return ``path``."""
    path.write_bytes(dumps(data, style))
    return path


# --- forged pieces for the safety tests -------------------------------------------------------------------------
def global_named(module: str, name: str) -> Any:
    """A callable pickled as the global ``module.name`` (it is never imported or called by the writer)."""
    def stand_in(*args: Any) -> Any:
        raise AssertionError("stand-in: only its pickled name is used")
    return _tag(stand_in, module, name)


class _PersistentId:
    def __init__(self, pid: tuple):
        self.pid = pid


class _BlobPickler(OfficialPickler):
    def persistent_id(self, obj: Any) -> Any:
        return obj.pid if isinstance(obj, _PersistentId) else None


def legacy_blob(data: bytes, numel: int, storage_class: str = "FloatStorage", obj: Any = None) -> bytes:
    """A ``torch.save(storage, _use_new_zipfile_serialization=False)`` blob; ``obj`` replaces the storage record."""
    storage_type = _tag(type(storage_class, (), {}), "torch", storage_class)
    style = Style(protocol=2)

    def part(value: Any) -> bytes:
        buffer = io.BytesIO()
        _BlobPickler(buffer, style).dump(value)
        return buffer.getvalue()

    record = obj if obj is not None else _PersistentId(("storage", storage_type, "0", "cpu", numel, None))
    sys_info = dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=4))
    return (part(0x1950A86A20F9469CFC6C) + part(1001) + part(sys_info) + part(record) + part(["0"])
            + numel.to_bytes(8, "little") + data)


def tensor_record(blob: bytes, size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0) -> Raw:
    """Pickles like a tensor: ``_rebuild_tensor_v2(_load_from_bytes(blob), offset, size, stride, False, {})``."""
    storage = Raw(torch.storage._load_from_bytes, blob)
    return Raw(torch._utils._rebuild_tensor_v2, storage, offset, size, stride, False, collections.OrderedDict())


class _ZipPickler(OfficialPickler):
    def __init__(self, file: io.BytesIO, protocol: int = 2):
        super().__init__(file, Style(protocol=protocol))


def zip_blob(obj: Any) -> bytes:
    """``torch.save(obj)`` in the zip format, written with the stand-in-aware pickler."""
    buffer = io.BytesIO()
    torch.save(obj, buffer, pickle_module=types.SimpleNamespace(__name__="official_pickler", Pickler=_ZipPickler))
    return buffer.getvalue()


def cyclic_generator_pickle() -> bytes:
    """Hand-assembled: G_ema's ``_modules`` dict is filled in after G_ema exists, so G_ema.self is G_ema."""
    def text(value: str) -> bytes:
        return pickle.BINUNICODE + len(value.encode()).to_bytes(4, "little") + value.encode()

    P = pickle
    return b"".join([
        P.PROTO, b"\x02", P.EMPTY_DICT, P.BINPUT, b"\x00", P.POP,  # modules = {} (memo 0)
        P.GLOBAL, b"torch_utils.persistence\n_reconstruct_persistent_obj\n", P.EMPTY_DICT, P.MARK,
        text("type"), text("class"), text("version"), P.BININT1, b"\x06", text("module_src"), text(""),
        text("class_name"), text("Generator"), text("state"),
        P.EMPTY_DICT, P.MARK, text("_modules"), P.BINGET, b"\x00", P.SETITEMS,
        P.SETITEMS, P.TUPLE1, P.REDUCE, P.BINPUT, b"\x01", P.POP,  # G_ema (memo 1)
        P.BINGET, b"\x00", text("self"), P.BINGET, b"\x01", P.SETITEM, P.POP,  # modules["self"] = G_ema
        P.EMPTY_DICT, text("G_ema"), P.BINGET, b"\x01", P.SETITEM, P.STOP,
    ])
