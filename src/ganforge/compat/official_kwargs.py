"""Which official code wrote a network pickle, and the ganforge ``StyleGAN2Config`` its networks fit.

Both are read from data only (nothing from the file is executed): the class names of the persistent
objects, the layout of ``Generator._init_kwargs`` and identifiers in the ``module_src`` text
(REFERENCE Part 1, sections 2.2, 5 and 6):

* stylegan2-ada-pytorch ``training/networks.py``: G kwargs nest ``mapping_kwargs`` and ``synthesis_kwargs``;
* stylegan3 ``training/networks_stylegan2.py``: same state dicts, flat G kwargs (``channel_base`` at top level,
  ``fused_modconv_default``);
* stylegan3 ``training/networks_stylegan3.py`` (StyleGAN3-T/R): a ``SynthesisInput`` and ``L{i}_{size}_{ch}``
  layers; converted by :mod:`ganforge.compat.official_sg3`.

Hyper-parameters come from the constructor kwargs, then from the attributes the official objects keep
(``w_avg_beta``, ``conv_clamp``, ``use_fp16``, mbstd ``group_size`` ...), then from the official defaults.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ganforge.compat.storage_blob import short_repr
from ganforge.compat.unpickler import PersistentStub
from ganforge.config import Config
from ganforge.models import model_config

SOURCE_ADA = "stylegan2-ada-pytorch"
SOURCE_SG3_STYLEGAN2 = "stylegan3/networks_stylegan2"
SOURCE_SG3_STYLEGAN3 = "stylegan3/networks_stylegan3"

G_ARGS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "synthesis_kwargs")
"""Positional order of the official ``Generator`` arguments (``_init_args`` is normally empty)."""
D_ARGS = ("c_dim", "img_resolution", "img_channels", "architecture", "channel_base", "channel_max", "num_fp16_res",
          "conv_clamp", "cmap_dim", "block_kwargs", "mapping_kwargs", "epilogue_kwargs")
"""Positional order of the official ``Discriminator`` arguments."""

IGNORED_KWARGS = frozenset({"fp16_channels_last", "channels_last", "fused_modconv_default", "freeze_layers"})
"""Official kwargs that change only speed or training, never the images."""

W_AVG_BETA_DEFAULT = {SOURCE_ADA: 0.995, SOURCE_SG3_STYLEGAN2: 0.998}
DEFAULT_RESAMPLE_FILTER = (1.0, 3.0, 3.0, 1.0)


class UnsupportedKwargs(ValueError):
    """An official network uses an option ganforge's StyleGAN2 does not implement."""


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers, also inside a flat list/tuple (deeper nesting is left to the config check)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [v.item() if isinstance(v, np.generic) else v for v in value]
    return value


def _walk(stub: PersistentStub, limit: int = 100_000) -> list[tuple[str, PersistentStub]]:
    """``(dotted name, stub)`` for the stub and all its persistent submodules, in state-dict order."""
    found, todo, seen = [], [("", stub, 0)], set()
    while todo and len(found) < limit:
        name, node, depth = todo.pop()
        if id(node) in seen or depth > 32:  # a forged cycle, shared subtree or long chain: stop there
            continue
        seen.add(id(node))
        found.append((name, node))
        modules = node.state.get("_modules") or {}
        if isinstance(modules, dict):
            children = [(f"{name}.{k}" if name else k, v, depth + 1) for k, v in modules.items()
                        if isinstance(k, str) and isinstance(v, PersistentStub)]
            todo.extend(reversed(children))
    return found


def init_kwargs(stub: PersistentStub, positional: tuple[str, ...], where: str) -> dict[str, Any]:
    """The constructor arguments of ``stub`` (``_init_args`` named by ``positional``, then ``_init_kwargs``)."""
    args, kwargs = stub.attr("_init_args", ()), stub.attr("_init_kwargs", {})
    if not isinstance(args, (tuple, list)) or not isinstance(kwargs, dict) or len(args) > len(positional):
        raise ValueError(f"{where}: malformed constructor arguments of {stub.class_name}")
    return {**dict(zip(positional, args)), **kwargs}


def detect_source(G: PersistentStub) -> str:
    """``SOURCE_ADA``, ``SOURCE_SG3_STYLEGAN2`` or ``SOURCE_SG3_STYLEGAN3`` for a generator stub."""
    nodes = _walk(G)
    if any(node.class_name == "SynthesisInput" or re.search(r"(^|\.)L\d+_\d+_\d+$", name) for name, node in nodes):
        return SOURCE_SG3_STYLEGAN3
    if re.search(r"^class SynthesisInput\b", G.module_src, re.MULTILINE):
        return SOURCE_SG3_STYLEGAN3
    kwargs = G.attr("_init_kwargs", {})
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    if "synthesis_kwargs" in kwargs:
        return SOURCE_ADA
    if set(kwargs) - set(G_ARGS):  # synthesis options at top level: the flat stylegan3 layout
        return SOURCE_SG3_STYLEGAN2
    # Only defaults: tell the two StyleGAN2 codes apart by identifiers of their forward signatures.
    if "update_emas" in G.module_src or "fused_modconv_default" in G.module_src:
        return SOURCE_SG3_STYLEGAN2
    return SOURCE_ADA


class _Options:
    """Reads one kwargs dict: take values, check fixed ones, and refuse keys left unread."""

    def __init__(self, values: Any, what: str):
        if not isinstance(values, dict):
            raise UnsupportedKwargs(f"{what} is a {type(values).__name__}, expected a dict")
        self.values, self.what = dict(values), what

    def take(self, key: str, fallback: Any) -> Any:
        return _plain(self.values.pop(key)) if key in self.values else fallback

    def expect(self, key: str, allowed: tuple[Any, ...]) -> None:
        if key in self.values and _plain(self.values[key]) not in allowed:
            raise UnsupportedKwargs(f"{self.what} {key}={short_repr(self.values[key])} is not implemented by ganforge "
                                    f"(supported: {', '.join(map(repr, allowed))})")
        self.values.pop(key, None)

    def finish(self) -> None:
        left = [k for k in self.values if k not in IGNORED_KWARGS]
        if left:
            raise UnsupportedKwargs(f"{self.what} has options ganforge does not implement: " + ", ".join(
                f"{k if isinstance(k, str) else short_repr(k)}={short_repr(self.values[k])}" for k in left))


def _attr(stub: PersistentStub | None, path: str, name: str, fallback: Any) -> Any:
    """Attribute ``name`` of submodule ``path`` (dotted), or ``fallback``."""
    for part in path.split(".") if path else []:
        stub = stub.child(part) if stub is not None else None
    return _plain(stub.attr(name, fallback)) if stub is not None else fallback


def _num_fp16_res(G: PersistentStub) -> int:
    synthesis = G.child("synthesis")
    blocks = (synthesis.state.get("_modules") or {}).values() if synthesis is not None else []
    return sum(1 for b in blocks if isinstance(b, PersistentStub) and b.attr("use_fp16") is True)


def generator_fields(G: PersistentStub, source: str) -> dict[str, Any]:
    """StyleGAN2Config fields from an official generator stub (raises :class:`UnsupportedKwargs`)."""
    top = _Options(init_kwargs(G, G_ARGS, "G"), "G")
    mapping = _Options(top.take("mapping_kwargs", {}) or {}, "G mapping_kwargs")
    synth = _Options(top.take("synthesis_kwargs", {}) or {}, "G synthesis_kwargs") if source == SOURCE_ADA else top
    fields = {key: top.take(key, _plain(G.attr(key))) for key in ("z_dim", "c_dim", "w_dim", "img_resolution",
                                                                  "img_channels")}
    w_dim = fields["w_dim"]
    fields.update(
        mapping_layers=mapping.take("num_layers", _attr(G, "mapping", "num_layers", 8)),
        mapping_lr_multiplier=mapping.take("lr_multiplier", _attr(G, "mapping.fc0", "bias_gain", 0.01)),
        w_avg_beta=mapping.take("w_avg_beta", _attr(G, "mapping", "w_avg_beta", W_AVG_BETA_DEFAULT.get(source))),
        channel_base=synth.take("channel_base", 32768),
        channel_max=synth.take("channel_max", 512),
        num_fp16_res=synth.take("num_fp16_res", _num_fp16_res(G)),
        g_architecture=synth.take("architecture", _attr(G, "synthesis.b4", "architecture", "skip")),
        conv_clamp=synth.take("conv_clamp", _attr(G, "synthesis.b4.conv1", "conv_clamp", None)),
        resample_filter=tuple(synth.take("resample_filter", DEFAULT_RESAMPLE_FILTER)),
    )
    for options, key, allowed in ((mapping, "embed_features", (None, w_dim)), (mapping, "layer_features", (None, w_dim)),
                                  (mapping, "activation", ("lrelu",)), (synth, "activation", ("lrelu",)),
                                  (synth, "use_noise", (True,)), (synth, "kernel_size", (3,))):
        options.expect(key, allowed)
    for options in (mapping, synth, top):
        options.finish()
    return fields


def discriminator_fields(D: PersistentStub, g_fields: dict[str, Any]) -> dict[str, Any]:
    """The D-only StyleGAN2Config fields; raises :class:`UnsupportedKwargs` if D does not fit ``g_fields``."""
    top = _Options(init_kwargs(D, D_ARGS, "D"), "D")
    block = _Options(top.take("block_kwargs", {}) or {}, "D block_kwargs")
    mapping = _Options(top.take("mapping_kwargs", {}) or {}, "D mapping_kwargs")
    epilogue = _Options(top.take("epilogue_kwargs", {}) or {}, "D epilogue_kwargs")
    resolution = top.take("img_resolution", _plain(D.attr("img_resolution")))
    shared = {
        "c_dim": top.take("c_dim", _plain(D.attr("c_dim"))), "img_resolution": resolution,
        "img_channels": top.take("img_channels", _plain(D.attr("img_channels"))),
        "channel_base": top.take("channel_base", 32768), "channel_max": top.take("channel_max", 512),
        "conv_clamp": top.take("conv_clamp", _attr(D, "b4.conv", "conv_clamp", None)),
        "resample_filter": tuple(block.take("resample_filter", DEFAULT_RESAMPLE_FILTER)),
    }
    for key, value in shared.items():
        if value != g_fields[key]:
            raise UnsupportedKwargs(f"D has {key}={short_repr(value)} but G has {short_repr(g_fields[key])} (one StyleGAN2Config "
                                    "describes both)")
    fields = {
        "d_architecture": top.take("architecture", _attr(D, f"b{resolution}", "architecture", "resnet")),
        "cmap_dim": top.take("cmap_dim", None),  # None: the official default, channels at 4x4
        "d_mapping_layers": mapping.take("num_layers", _attr(D, "mapping", "num_layers", 8)),
        "mbstd_group_size": epilogue.take("mbstd_group_size", _attr(D, "b4.mbstd", "group_size", 4)),
        "mbstd_num_channels": epilogue.take("mbstd_num_channels", _attr(D, "b4.mbstd", "num_channels", 1)),
    }
    top.take("num_fp16_res", None)  # speed only; ganforge keeps G's value in the config
    d_cmap = fields["cmap_dim"]
    for options, key, allowed in ((block, "activation", ("lrelu",)), (epilogue, "activation", ("lrelu",)),
                                  (mapping, "activation", ("lrelu",)), (mapping, "lr_multiplier", (0.01,)),
                                  (mapping, "embed_features", (None, d_cmap)), (mapping, "layer_features", (None, d_cmap))):
        options.expect(key, allowed)
    for options in (block, mapping, epilogue, top):
        options.finish()
    return fields


def stylegan2_config(G: PersistentStub, D: PersistentStub | None, source: str, where: str) -> tuple[Config, str | None]:
    """The StyleGAN2Config of an official G (and D), and why D cannot be used (``None`` if it can).

    Raises:
        ValueError: naming ``where`` when G uses options ganforge does not implement.
    """
    try:
        g_fields = generator_fields(G, source)
        config = model_config("stylegan2", **g_fields)
    except (UnsupportedKwargs, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: cannot rebuild the generator config: {exc}") from None
    if D is None:
        return config, None
    try:
        d_fields = discriminator_fields(D, g_fields)
        return model_config("stylegan2", **g_fields, **d_fields), None
    except (UnsupportedKwargs, ValueError, TypeError) as exc:
        return config, str(exc)
