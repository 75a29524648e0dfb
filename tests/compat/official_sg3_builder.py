"""Official StyleGAN3-T/R network pickles built from ganforge StyleGAN3 networks (REFERENCE Part 1 section 6).

The parameter names are the official ones already; this adds what the official objects carry besides tensors: the
training script's flat G kwargs (``channel_base`` doubled for R, ``conv_kernel``, ``use_radial_filters``,
``magnitude_ema_beta``, ``num_fp16_res``, ``conv_clamp``), the layers' numpy ndarray attributes (``in_size``,
``sampling_rate`` ...) and the ``layer_names`` list. No NVIDIA code is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganforge.models.stylegan3 import StyleGAN3Config
from tests.compat.official_pickle_builder import SG3_SG3_SRC, EasyDict, Persistent, Style, persistent_module


def official_sg3_kwargs(cfg: StyleGAN3Config) -> tuple[dict, dict]:
    """G and D ``_init_kwargs`` as the official ``train.py --cfg stylegan3-t|r`` passes them."""
    common = dict(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels)
    G = dict(z_dim=cfg.z_dim, w_dim=cfg.w_dim, mapping_kwargs=EasyDict(num_layers=cfg.mapping_layers),
             channel_base=cfg.g_channel_base, channel_max=cfg.g_channel_max, magnitude_ema_beta=cfg.magnitude_ema_beta,
             num_fp16_res=4, conv_clamp=cfg.conv_clamp, **common)
    if cfg.cfg == "r":
        G.update(conv_kernel=1, use_radial_filters=True)
    if cfg.num_layers != 14:  # not a training-script option; the class takes it
        G["num_layers"] = cfg.num_layers
    D = dict(block_kwargs=EasyDict(freeze_layers=0), mapping_kwargs=EasyDict(),
             epilogue_kwargs=EasyDict(mbstd_group_size=cfg.mbstd_group_size), channel_base=cfg.channel_base,
             channel_max=cfg.channel_max, num_fp16_res=4, conv_clamp=cfg.conv_clamp, **common)
    return G, D


def _layer_attrs(layer: torch.nn.Module) -> dict[str, Any]:
    """The ndarray / numpy attributes an official SynthesisLayer keeps."""
    return {"in_size": np.array([layer.in_size, layer.in_size]), "out_size": np.array([layer.out_size, layer.out_size]),
            "padding": [int(p) for p in layer.padding], "up_factor": int(layer.up_factor),
            "down_factor": int(layer.down_factor), "magnitude_ema_beta": float(layer.magnitude_ema_beta),
            "in_sampling_rate": np.float64(16.0), "sampling_rate": np.array([16.0, 16.0])}


def sg3_generator(G: torch.nn.Module, kwargs: dict, style: Style) -> Persistent:
    stub = persistent_module(G, SG3_SG3_SRC, style, init_kwargs=kwargs, class_name="Generator")
    synthesis = stub.meta["state"]["_modules"]["synthesis"]
    synthesis.meta["class_name"] = "SynthesisNetwork"
    synthesis.meta["state"]["layer_names"] = list(G.synthesis.layer_names)
    modules = synthesis.meta["state"]["_modules"]
    modules["input"].meta["class_name"] = "SynthesisInput"
    modules["input"].meta["state"]["size"] = np.array([G.synthesis.input.size] * 2)
    for name in G.synthesis.layer_names:
        modules[name].meta["class_name"] = "SynthesisLayer"
        modules[name].meta["state"].update(_layer_attrs(getattr(G.synthesis, name)))
    stub.meta["state"]["_modules"]["mapping"].meta["class_name"] = "MappingNetwork"
    return stub


def sg3_snapshot(cfg: StyleGAN3Config, networks: dict[str, torch.nn.Module], style: Style | None = None) -> dict:
    """``snapshot_data`` of an official StyleGAN3 run from ganforge networks (any of G, D, G_ema)."""
    style = style or Style()
    g_kwargs, d_kwargs = official_sg3_kwargs(cfg)
    data: dict[str, Any] = {"training_set_kwargs": dict(class_name="training.dataset.ImageFolderDataset",
                                                        path="/data/set.zip", resolution=cfg.img_resolution)}
    for name in ("G", "D", "G_ema"):
        if name in networks:
            data[name] = (persistent_module(networks[name], SG3_SG3_SRC, style, d_kwargs) if name == "D"
                          else sg3_generator(networks[name], g_kwargs, style))
    data["augment_pipe"] = None
    return data
