"""Named training presets (``--cfg``) as partial configs, and their resolution into a concrete ``TrainConfig``.

A preset is a partial ``TrainConfig`` (any section: run length and batch, optimiser, loss and regularisers,
augmentation, schedules) plus model hints (``channel_base``, ``z_dim``, ...) that each family takes where it has the
field. ``ganforge train --cfg NAME`` lays the flags over the preset (:func:`apply_preset`); :func:`resolve_config`
then fills what is still ``None`` from the preset, the model family's ``defaults`` and the ADA paper's auto config:
``batch = max(min(gpus * min(4096 // res, 32), 64), gpus)``, ``gamma = 0.0002 * res^2 / batch``,
``ema_kimg = batch * 10 / 32``, lr 0.002 at 1024 px else 0.0025, the adversarial loss the discriminator names as its
default (else ``nonsaturating``). No family is named here: ``--cfg auto`` means the
family's own default preset.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ganforge.losses.regularizers import RegConfig
from ganforge.models import DISCRIMINATORS, FamilyContext, check_discriminator, get_family, list_models
from ganforge.models.checks import block_shape
from ganforge.presets import PRESETS, Preset
from ganforge.train.config import TrainConfig

DEFAULT_BETAS = (0.0, 0.99)


def stylegan_preset(*, batch=None, mbstd_group=None, channel_base=None, channel_max=512, lr=None, r1_gamma=None,
                    ema_kimg=None, ema_rampup=0.05, mapping_layers=2, z_dim=512, w_dim=512, kimg=25000.0, betas=None,
                    description="") -> Preset:
    """A preset in the vocabulary of the StyleGAN2-ADA configs (``None`` = derived by the auto heuristic)."""
    values: dict[str, Any] = {"run": {"kimg": kimg}, "optim": {"ema_rampup": ema_rampup}}
    if batch is not None:
        values["run"]["batch"] = batch
    for net in ("G", "D"):
        adam = {k: v for k, v in (("lr", lr), ("betas", betas)) if v is not None}
        if adam:
            values["optim"][net] = adam
    if ema_kimg is not None:
        values["optim"]["ema_kimg"] = ema_kimg
    if r1_gamma is not None:
        values["loss"] = {"regs": [{"name": "r1", "weight": r1_gamma}]}
    hints = {"channel_max": channel_max, "mapping_layers": mapping_layers, "z_dim": z_dim, "w_dim": w_dim}
    hints.update({k: v for k, v in (("channel_base", channel_base), ("mbstd_group_size", mbstd_group)) if v is not None})
    return Preset(values=values, model_hints=hints, description=description)


PRESETS.register("auto", stylegan_preset(description="batch, channels, gamma, EMA from resolution and process count "
                                                     "(ADA auto)"))
PRESETS.register("stylegan2", stylegan_preset(batch=32, mbstd_group=4, channel_base=32768, lr=0.002, r1_gamma=10.0,
                                              ema_kimg=10.0, ema_rampup=None, mapping_layers=8,
                                              description="StyleGAN2 config F (FFHQ 1024)"))
PRESETS.register("paper256", stylegan_preset(batch=64, mbstd_group=8, channel_base=16384, lr=0.0025, r1_gamma=1.0,
                                             ema_kimg=20.0, ema_rampup=None, mapping_layers=8,
                                             description="ADA paper, 256 px"))
PRESETS.register("paper512", stylegan_preset(batch=64, mbstd_group=8, channel_base=32768, lr=0.0025, r1_gamma=0.5,
                                             ema_kimg=20.0, ema_rampup=None, mapping_layers=8,
                                             description="ADA paper, 512 px"))
PRESETS.register("paper1024", stylegan_preset(batch=32, mbstd_group=4, channel_base=65536, lr=0.002, r1_gamma=2.0,
                                              ema_kimg=10.0, ema_rampup=None, mapping_layers=8,
                                              description="ADA paper, 1024 px"))
PRESETS.register("cifar", stylegan_preset(batch=64, mbstd_group=32, channel_base=32768, lr=0.0025, r1_gamma=0.01,
                                          ema_kimg=500.0, ema_rampup=0.05, mapping_layers=2,
                                          description="ADA paper, CIFAR-10 32 px"))
PRESETS.register("small", stylegan_preset(batch=16, mbstd_group=4, channel_base=16384, channel_max=256, lr=0.0025,
                                          mapping_layers=2, z_dim=256, w_dim=256,
                                          description="the 'small' benchmark networks (256 channels, z/w 256)"))
PRESETS.register("cpu", stylegan_preset(batch=16, mbstd_group=4, channel_base=4096, channel_max=128, lr=0.0025,
                                        mapping_layers=2, z_dim=128, w_dim=128, kimg=20.0,
                                        description="a few minutes on a laptop CPU at 32 px (128 channels, z/w 128)"))
PRESETS.register("dcgan", stylegan_preset(batch=64, channel_base=8192, channel_max=512, lr=0.0002, r1_gamma=0.0,
                                          ema_kimg=1.0, z_dim=100, kimg=1000.0, betas=(0.5, 0.999),
                                          description="DCGAN baselines (Radford et al. 2015): Adam 2e-4, betas "
                                                      "(0.5, 0.999)"))


def list_presets() -> list[str]:
    """Names accepted by ``--cfg``."""
    return PRESETS.names()


def preset_for(cfg_name: str, family: str) -> Preset:
    """The preset ``--cfg cfg_name`` means for ``family`` (``auto`` = the family's default preset)."""
    return PRESETS.get(get_family(family).default_preset if cfg_name == "auto" else cfg_name)


def apply_preset(values: dict[str, Any], cfg_name: str, family: str) -> dict[str, Any]:
    """``values`` (sectioned, e.g. from flags) laid over the preset's values: what ``values`` sets wins. Schedules
    merge by target (a ``--schedule`` of a target replaces the preset's schedule of it, the others stay), and a preset's
    schedule of ``augment.p`` is dropped when the flags choose an augmentation mode other than ``fixed``."""
    preset = preset_for(cfg_name, family).values
    out = _merge(preset, values)
    schedules = {s["target"]: s for s in preset.get("schedules", [])}
    mode = values.get("augment", {}).get("mode")
    if mode is not None and mode != "fixed":
        schedules.pop("augment.p", None)
    schedules.update({s["target"]: s for s in values.get("schedules", [])})
    if schedules:
        out["schedules"] = list(schedules.values())
    return out


def preset_config(cfg_name: str, values: dict[str, Any] | None = None) -> TrainConfig:
    """``TrainConfig`` of preset ``cfg_name`` with ``values`` (sectioned) laid over it, as ``ganforge train --cfg``
    builds it: ``preset_config("r3gan-cpu", {"data": {"path": "emoji.zip"}})`` is R3GAN with its loss and schedules
    (``TrainConfig.from_dict({"cfg": ...})`` names the preset but only fills what is unset, from its run/optimiser
    values and model hints)."""
    values = dict(values or {})
    family = values.get("model", {}).get("family", "stylegan2")
    return TrainConfig.from_dict(apply_preset({**values, "cfg": cfg_name}, cfg_name, family))


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _fill(value: Any, preset: Any) -> Any:
    """``value`` with its ``None`` leaves taken from ``preset`` (dicts recursively)."""
    if isinstance(value, dict) and isinstance(preset, dict):
        return {**preset, **{k: _fill(v, preset.get(k)) for k, v in value.items()}}
    return preset if value is None else value


def resolve_regs(cfg: TrainConfig, preset: Preset, family: str, resolution: int, batch: int) -> tuple[RegConfig, ...]:
    """Every regulariser entry with its weight and interval, in evaluation order: R1 (weight from the preset, else the
    auto gamma ``0.0002 * res^2 / batch``; off for losses with ``default_r1=False`` unless given), the family's defaults (StyleGAN2: path length), the other entries in the
    order given, then the term the loss implies (``wgan-gp`` -> ``wgan_gp``)."""
    from ganforge.losses.adversarial import get_adversarial_loss
    from ganforge.losses.regularizers import REGULARIZERS

    preset_regs = {r["name"]: r for r in preset.values.get("loss", {}).get("regs", [])}
    family_regs = {name: (weight, interval) for name, weight, interval in get_family(family).default_regs}
    given = {r.name: r for r in cfg.loss.regs}
    loss = get_adversarial_loss(cfg.loss.adversarial)
    implied, gamma = loss.implied_reg, loss.gamma_reg
    if gamma != "r1" and "r1" in given and gamma not in given:  # --gamma weights the loss's own R1 term (rpgan: r1r2)
        given[gamma] = replace(given.pop("r1"), name=gamma)
    names = [gamma, *family_regs, *[n for n in given if n != gamma and n not in family_regs]]
    if implied is not None and implied not in names:
        names.append(implied)
    out = []
    for name in names:
        entry = given.get(name, RegConfig(name))
        weight, interval = entry.weight, entry.interval
        if weight is None and name == "r1" and not loss.default_r1:
            weight = 0.0  # the WGANs bring their own Lipschitz constraint; --gamma turns R1 on
        if weight is None:
            weight = preset_regs.get("r1" if name == gamma and name not in preset_regs else name, {}).get("weight")
        if weight is None:
            weight = (0.0002 * resolution**2 / batch if name == gamma
                      else family_regs.get(name, (REGULARIZERS.get(name).default_weight,))[0])
        if interval is None:
            interval = family_regs[name][1] if name in family_regs else REGULARIZERS.get(name).default_interval
        out.append(RegConfig(name, float(weight), int(interval)))
    return tuple(out)


def _growth_schedules(schedules: tuple, preset: Preset, grows: bool) -> tuple:
    """A growing run without a ``growth`` schedule gets the paper's (``grow``: fade 600 kimg, stabilise 600 kimg); a
    run that does not grow drops the preset's growth schedule (a growing recipe's preset serves both)."""
    from ganforge.train.schedules import Schedule

    has = any(s.target == "growth" for s in schedules)
    if grows and not has:
        return (*schedules, Schedule(target="growth", kind="grow"))
    if not grows and has:
        from_preset = [Schedule.from_dict(s) for s in preset.values.get("schedules", []) if s["target"] == "growth"]
        return tuple(s for s in schedules if not (s.target == "growth" and s in from_preset))
    return schedules


def _size(resolution: int, init_res) -> str:
    height, width = block_shape(resolution, tuple(init_res))
    return f"{width}x{height}px"


def resolve_config(cfg: TrainConfig, *, resolution: int, img_channels: int, c_dim: int, num_gpus: int = 1,
                   init_res: tuple[int, int] = (4, 4)) -> TrainConfig:
    """Fill every ``None`` of ``cfg`` from its preset, the model family, the dataset shape and the process count."""
    if num_gpus < 1:
        raise ValueError(f"num_gpus must be >= 1, got {num_gpus}")
    family = cfg.model.arch.name if cfg.model.arch is not None else cfg.model.family
    spec = get_family(family)
    preset = preset_for(cfg.cfg, family)
    unknown = sorted(set(cfg.model.overrides) - set(spec.override_keys))
    if unknown:
        raise ValueError(f"model family {family!r} has no option {', '.join(unknown)} (it takes: "
                         f"{', '.join(spec.override_keys)})")
    pv = preset.values
    batch = cfg.run.batch or pv.get("run", {}).get("batch") or max(min(num_gpus * min(4096 // resolution, 32), 64),
                                                                   num_gpus)
    if batch % num_gpus:
        raise ValueError(f"--batch {batch} must be a multiple of the number of processes ({num_gpus})")
    stage_batches = [b for _, b in cfg.run.stage_batch]
    if any(b % num_gpus for b in stage_batches):
        raise ValueError(f"--stage-batch: every batch must be a multiple of the number of processes ({num_gpus})")
    batch_gpu = cfg.run.batch_gpu or math.gcd(batch, *stage_batches) // num_gpus  # one pass size fits every stage
    for b, flag in ((batch, "--batch"), *((b, "--stage-batch") for b in stage_batches)):
        if b % (batch_gpu * num_gpus):
            raise ValueError(f"{flag} {b} must be a multiple of --batch-gpu {batch_gpu} x {num_gpus} processes")
    arch = cfg.model.arch
    if arch is None:
        if tuple(init_res) != (4, 4) and not spec.non_square:
            raise ValueError(f"model family {family!r} trains square images only (the dataset is non-square); "
                             f"non-square families: {', '.join(n for n in list_models() if get_family(n).non_square)}")
        ctx = FamilyContext(resolution=resolution, img_channels=img_channels, c_dim=c_dim if cfg.data.cond else 0,
                            batch_gpu=batch_gpu, init_res=tuple(init_res))
        arch = spec.defaults(ctx, {**preset.model_hints, **cfg.model.overrides})
    elif (arch.img_resolution, arch.img_channels, tuple(arch.init_res)) != (resolution, img_channels, tuple(init_res)):
        raise ValueError(f"model is {_size(arch.img_resolution, arch.init_res)} x {arch.img_channels} channels but the "
                         f"dataset is {_size(resolution, init_res)} x {img_channels} channels")
    d_name = check_discriminator(family, cfg.model.d)
    d_spec = DISCRIMINATORS.get(d_name)
    d_spec.parse_options(cfg.model.d_options)  # refused here, before anything is built
    cfg = replace(cfg, loss=replace(cfg.loss, adversarial=cfg.loss.adversarial or d_spec.default_loss or "nonsaturating"))
    lr = 0.002 if resolution >= 1024 else 0.0025
    optim = _fill(cfg.optim.to_dict(), pv.get("optim", {}))
    for net in ("G", "D"):
        optim[net]["lr"] = optim[net]["lr"] or lr
        optim[net]["betas"] = optim[net]["betas"] or list(DEFAULT_BETAS)
    if optim["ema_kimg"] is None:
        optim["ema_kimg"] = batch * 10 / 32
    run = replace(cfg.run, batch=batch, batch_gpu=batch_gpu, kimg=cfg.run.kimg or pv.get("run", {}).get("kimg", 25000.0))
    model = replace(cfg.model, family=family, arch=arch, d=d_name)
    loss = replace(cfg.loss, regs=resolve_regs(cfg, preset, family, resolution, batch))
    resolved = replace(cfg, model=model, run=run, loss=loss, optim=type(cfg.optim).from_dict(optim))
    from ganforge.train.hparams import check_schedules, run_grows

    resolved = replace(resolved, schedules=_growth_schedules(resolved.schedules, preset, run_grows(resolved)))
    if resolved.run.stage_batch and not run_grows(resolved):
        raise ValueError("--stage-batch needs --growing (a batch per growth stage)")
    check_schedules(resolved)
    return resolved
