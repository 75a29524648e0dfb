"""rosinality/stylegan2-pytorch checkpoints (``.pt``): read them into ganforge, and write them back.

rosinality's ``train.py`` saves ``{"g", "d", "g_ema", "g_optim", "d_optim", "args", "ada_aug_p"}``; its
``convert_weight.py`` and the tools built on it (pSp, e4e, StyleGAN-NADA, ...) ship ``{"g_ema": ...,
"latent_avg": ...}`` or a bare ``g_ema`` state dict; pSp/e4e models keep the generator under
``state_dict["decoder.*"]``. Files are read with ``torch.load(weights_only=True)`` (plus
``argparse.Namespace`` for ``args``, which only holds values): nothing in them is executed.

The two layouts compute the same function, so the mapping is a renaming plus reshapes (no
re-scaling and no kernel flips): both store equalized-LR weights unscaled, both fold the
``sqrt(2)`` activation gain after the bias, rosinality's up-convs use the stored weight in a
stride-2 transposed conv exactly as ours, and its blur paddings equal ours. Differences that remain:

* rosinality multiplies the conv weight by ``1/sqrt(fan_in)`` *before* demodulating, which scales
  its ``eps = 1e-8`` by ``fan_in`` relative to ours: a relative change of ~1e-8, below fp32 rounding.
* rosinality has no ``w_avg``: ``latent_avg`` is used when the file has one, otherwise ``w_avg`` is
  estimated like rosinality's ``mean_latent`` (mean of 4096 mapped z, fixed seed).
* files without ``noises.noise_*`` buffers (early versions) get zero ``noise_const``.
* the mapping lr multiplier is not stored; rosinality always uses 0.01.
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
from pathlib import Path
from typing import Any, Iterable

import torch

from ganforge.compat.base import NetworkData
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.models.limits import network_shapes, stored_budget
from ganforge.models.stylegan2.config import StyleGAN2Config
from ganforge.nn.fir import setup_filter

__all__ = ["import_rosinality", "export_rosinality", "rosinality_channel_multiplier", "load_rosinality_file"]

SOURCE = "rosinality/stylegan2-pytorch"
MAPPING_LR = 0.01  # rosinality's Generator(lr_mlp=0.01); train.py never changes it
MBSTD = (4, 1)  # rosinality's Discriminator: stddev_group = 4, stddev_feat = 1
W_AVG_SAMPLES = 4096
_FILE_KEYS = {"g": "G", "d": "D", "g_ema": "G_ema"}
StateDict = dict[str, torch.Tensor]

# ------------------------------------------------------------------------------------------ name tables


def _generator_pairs(resolutions: list[int], mapping_layers: int) -> list[tuple[str, str]]:
    """``(ganforge key, rosinality key)`` for every generator tensor that both layouts store."""
    pairs = [(f"mapping.fc{i}.{p}", f"style.{i + 1}.{p}") for i in range(mapping_layers) for p in ("weight", "bias")]

    def styled_conv(ours: str, ros: str, noise_idx: int) -> list[tuple[str, str]]:
        return [(f"{ours}.weight", f"{ros}.conv.weight"), (f"{ours}.affine.weight", f"{ros}.conv.modulation.weight"),
                (f"{ours}.affine.bias", f"{ros}.conv.modulation.bias"), (f"{ours}.noise_strength", f"{ros}.noise.weight"),
                (f"{ours}.bias", f"{ros}.activate.bias"), (f"{ours}.noise_const", f"noises.noise_{noise_idx}")]

    def to_rgb(ours: str, ros: str) -> list[tuple[str, str]]:
        return [(f"{ours}.weight", f"{ros}.conv.weight"), (f"{ours}.affine.weight", f"{ros}.conv.modulation.weight"),
                (f"{ours}.affine.bias", f"{ros}.conv.modulation.bias"), (f"{ours}.bias", f"{ros}.bias")]

    pairs.append(("synthesis.b4.const", "input.input"))
    pairs += styled_conv("synthesis.b4.conv1", "conv1", 0) + to_rgb("synthesis.b4.torgb", "to_rgb1")
    for j, res in enumerate(resolutions[1:]):
        pairs += styled_conv(f"synthesis.b{res}.conv0", f"convs.{2 * j}", 2 * j + 1)
        pairs += styled_conv(f"synthesis.b{res}.conv1", f"convs.{2 * j + 1}", 2 * j + 2)
        pairs += to_rgb(f"synthesis.b{res}.torgb", f"to_rgbs.{j}")
    return pairs


def _discriminator_pairs(block_resolutions: list[int]) -> list[tuple[str, str]]:
    """``(ganforge key, rosinality key)`` for every discriminator tensor (resnet D, no labels)."""
    top = block_resolutions[0]
    pairs = [(f"b{top}.fromrgb.weight", "convs.0.0.weight"), (f"b{top}.fromrgb.bias", "convs.0.1.bias")]
    for i, res in enumerate(block_resolutions, start=1):
        pairs += [(f"b{res}.conv0.weight", f"convs.{i}.conv1.0.weight"), (f"b{res}.conv0.bias", f"convs.{i}.conv1.1.bias"),
                  (f"b{res}.conv1.weight", f"convs.{i}.conv2.1.weight"), (f"b{res}.conv1.bias", f"convs.{i}.conv2.2.bias"),
                  (f"b{res}.skip.weight", f"convs.{i}.skip.1.weight")]
    return pairs + [("b4.conv.weight", "final_conv.0.weight"), ("b4.conv.bias", "final_conv.1.bias"),
                    ("b4.fc.weight", "final_linear.0.weight"), ("b4.fc.bias", "final_linear.0.bias"),
                    ("b4.out.weight", "final_linear.1.weight"), ("b4.out.bias", "final_linear.1.bias")]


def _kernel_keys(num_blocks: int, generator: bool) -> list[tuple[str, float]]:
    """rosinality's blur-kernel buffers and their gain (up-sampling kernels are stored times 4)."""
    if generator:
        return [(k, 4.0) for j in range(num_blocks) for k in (f"convs.{2 * j}.conv.blur.kernel", f"to_rgbs.{j}.upsample.kernel")]
    return [(k, 1.0) for i in range(1, num_blocks + 1) for k in (f"convs.{i}.conv2.0.kernel", f"convs.{i}.skip.0.kernel")]


def _ros_shape(key: str, shape: torch.Size) -> list[int]:
    """The rosinality shape of ganforge tensor ``key`` (same data, extra unit axes)."""
    if key.endswith("noise_strength"):
        return [1]  # NoiseInjection.weight
    if key.endswith("noise_const"):
        return [1, 1, *shape]  # noises.noise_i
    if key.endswith("torgb.bias"):
        return [1, shape[0], 1, 1]
    if key == "synthesis.b4.const" or (key.startswith("synthesis.") and key.endswith(".weight") and len(shape) == 4):
        return [1, *shape]  # ConstantInput.input, ModulatedConv2d.weight
    return list(shape)


# ------------------------------------------------------------------------------------------ reading


def load_rosinality_file(path: str | Path) -> Any:
    """``torch.load`` restricted to tensors and plain containers (and ``argparse.Namespace``).

    Raises:
        ValueError: The file is missing or damaged, or would need unrestricted unpickling (which could run code).
    """
    path = Path(path)
    safe = getattr(torch.serialization, "safe_globals", None)
    try:
        if safe is None:
            return torch.load(path, map_location="cpu", weights_only=True)
        with safe([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found is None:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            raise ValueError(f"{path}: not a readable torch file, or one that safe (weights_only) loading "
                             f"refuses ({lines[-2] if len(lines) > 1 else exc})") from None
        raise ValueError(f"{path}: refusing to load: the file holds Python objects besides tensors and plain "
                         f"containers, and unpickling them could run code (it names {found.group(1)})") from None
    except Exception as exc:  # a damaged or foreign file: RuntimeError, EOFError, struct.error, ...
        raise ValueError(f"{path}: not a readable torch file: {str(exc).splitlines()[0] if str(exc) else exc}") from None


def _is_generator(sd: Any) -> bool:
    return isinstance(sd, dict) and "input.input" in sd and "style.1.weight" in sd


def _json_scalars(obj: Any) -> dict[str, Any]:
    items = vars(obj) if isinstance(obj, argparse.Namespace) else obj if isinstance(obj, dict) else {}
    return {str(k): v for k, v in items.items() if isinstance(v, (bool, int, str)) or v is None
            or (isinstance(v, float) and math.isfinite(v))}


def _unpack(obj: Any, path: Path) -> tuple[dict[str, StateDict], torch.Tensor | None, dict[str, Any]]:
    """The file's networks (rosinality state dicts by ganforge name), ``latent_avg`` and JSON-able extras."""
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict checkpoint, found {type(obj).__name__}")
    extra: dict[str, Any] = {}
    if _is_generator(obj):  # a bare g_ema state dict
        return {"G_ema": obj}, None, extra
    nets = {ours: obj[key] for key, ours in _FILE_KEYS.items() if isinstance(obj.get(key), dict)}
    state = obj.get("state_dict")
    if not nets and isinstance(state, dict) and any(k.startswith("decoder.") for k in state):  # pSp / e4e
        nets = {"G_ema": {k[len("decoder."):]: v for k, v in state.items() if k.startswith("decoder.")}}
        extra["from"] = "state_dict['decoder.*'] (pSp/e4e)"
    if not nets:
        raise ValueError(f"{path}: no rosinality networks found (expected 'g', 'd', 'g_ema' or a generator "
                         f"state dict; the file has keys {sorted(map(str, obj))[:8]})")
    for name, sd in nets.items():
        if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in sd.items()):
            raise ValueError(f"{path}: the {name} entry is not a state dict of tensors")
        # torch.save writes dense tensors; a (stride-0) view larger than its stored bytes is forged, and copying
        # it would allocate its full size.
        odd = next((k for k, v in sd.items() if v.numel() * v.element_size() > v.untyped_storage().nbytes()), None)
        if odd is not None:
            raise ValueError(f"{path}: {name} tensor {odd!r} of size {list(sd[odd].shape)} is larger than the "
                             f"{sd[odd].untyped_storage().nbytes()} bytes stored for it (a forged view)")
    args = obj.get("args", obj.get("opts"))
    if args is not None:
        extra["args"] = _json_scalars(args)
    if isinstance(obj.get("ada_aug_p"), (int, float)):
        extra["ada_aug_p"] = float(obj["ada_aug_p"])
    latent_avg = obj.get("latent_avg")
    return nets, latent_avg if isinstance(latent_avg, torch.Tensor) else None, extra


def _fit_channels(channels: dict[int, int], preferred: Iterable[int]) -> tuple[int, int]:
    """``(channel_base, channel_max)`` with ``min(channel_base // R, channel_max) == channels[R]`` for every R."""
    channel_max = max(channels.values())
    lower = max(channel_max * r if c == channel_max else c * r for r, c in channels.items())
    for base in (*preferred, 32768, 16384, lower):
        if base > 0 and all(min(base // r, channel_max) == c for r, c in channels.items()):
            return base, channel_max
    raise ValueError(f"channels per resolution {dict(sorted(channels.items()))} cannot be expressed as "
                     f"min(channel_base // R, channel_max) (rosinality channel_multiplier > 2?)")


def _resample_taps(sd: StateDict, keys: list[tuple[str, float]], name: str) -> tuple[float, ...] | None:
    """1-D FIR taps behind rosinality's blur kernels (all must agree); ``None`` when there are none."""
    found = [(sd[k] / sd[k].sum()).float() for k, _ in keys if k in sd]
    if not found:
        return None
    kernel = found[0]
    if any(k.shape != kernel.shape or not torch.allclose(k, kernel, atol=1e-6) for k in found):
        raise ValueError(f"the {name} blur kernels differ between layers")
    default = setup_filter((1.0, 3.0, 3.0, 1.0), separable=False)
    if kernel.shape == default.shape and torch.allclose(kernel, default, atol=1e-7):
        return (1.0, 3.0, 3.0, 1.0)
    taps = kernel.sum(dim=1)
    if not torch.allclose(torch.outer(taps, taps), kernel, atol=1e-6):
        raise ValueError(f"the {name} blur kernel is not separable; ganforge needs 1-D resampling taps")
    return tuple(float(t) for t in taps)


def _infer_config(nets: dict[str, StateDict], args: dict[str, Any]) -> StyleGAN2Config:
    """The :class:`StyleGAN2Config` whose networks have the shapes found in ``nets``."""
    channels: dict[int, int] = {}
    fields: dict[str, Any] = {}
    taps = []
    g_sd = next((nets[k] for k in ("G_ema", "G") if k in nets), None)
    if g_sd is not None:
        mapping_layers = len([k for k in g_sd if re.fullmatch(r"style\.\d+\.weight", k)])
        num_blocks = len({k.split(".")[1] for k in g_sd if k.startswith("to_rgbs.")})
        w_dim, z_dim = g_sd["style.1.weight"].shape
        fields.update(img_resolution=2 ** (num_blocks + 2), z_dim=int(z_dim), w_dim=int(w_dim),
                      mapping_layers=mapping_layers, img_channels=int(g_sd["to_rgb1.conv.weight"].shape[1]))
        channels[4] = int(g_sd["input.input"].shape[1])
        channels.update({2 ** (j + 3): int(g_sd[f"to_rgbs.{j}.conv.weight"].shape[2]) for j in range(num_blocks)})
        taps.append(_resample_taps(g_sd, _kernel_keys(num_blocks, True), "generator"))
    if "D" in nets:
        d_sd = nets["D"]
        num_blocks = len({k.split(".")[1] for k in d_sd if re.match(r"convs\.[1-9]\d*\.", k)})
        d_res = 2 ** (num_blocks + 2)
        if fields.get("img_resolution", d_res) != d_res:
            raise ValueError(f"the generator makes {fields['img_resolution']}px images but the discriminator reads {d_res}px")
        fields.setdefault("img_resolution", d_res)
        fields.setdefault("img_channels", int(d_sd["convs.0.0.weight"].shape[1]))
        d_channels = {d_res: int(d_sd["convs.0.0.weight"].shape[0]), 4: int(d_sd["final_conv.0.weight"].shape[0])}
        d_channels.update({d_res // 2 ** i: int(d_sd[f"convs.{i}.conv2.1.weight"].shape[0]) for i in range(1, num_blocks + 1)})
        if any(channels.get(r, c) != c for r, c in d_channels.items()):
            raise ValueError(f"generator channels {channels} and discriminator channels {d_channels} differ")
        channels.update(d_channels)
        taps.append(_resample_taps(d_sd, _kernel_keys(num_blocks, False), "discriminator"))
    taps = [t for t in taps if t is not None]
    if len(set(taps)) > 1:
        raise ValueError("the generator and discriminator use different blur kernels")
    multiplier = args.get("channel_multiplier")
    preferred = [16384 * multiplier] if isinstance(multiplier, int) and not isinstance(multiplier, bool) else []
    channel_base, channel_max = _fit_channels(channels, preferred)
    return model_config("stylegan2", **fields, channel_base=channel_base, channel_max=channel_max,
                        mapping_lr_multiplier=MAPPING_LR, g_architecture="skip", d_architecture="resnet",
                        mbstd_group_size=MBSTD[0], mbstd_num_channels=MBSTD[1],
                        resample_filter=taps[0] if taps else (1.0, 3.0, 3.0, 1.0))


def _convert(ros: StateDict, template: StateDict, pairs: list[tuple[str, str]], kernels: list[tuple[str, float]],
             name: str, notes: dict[str, Any]) -> StateDict:
    """Fill ``template`` (a freshly built ganforge state dict) from rosinality state dict ``ros``."""
    out = dict(template)
    used = {k for k, _ in kernels}
    for ours, key in pairs:
        expected = _ros_shape(ours, template[ours].shape)
        if key not in ros:
            if ours.endswith("noise_const"):  # early rosinality versions kept no noise buffers
                out[ours] = torch.zeros_like(template[ours])
                notes["noise_const"] = "not in the file: set to zeros"
                continue
            raise ValueError(f"the {name} state dict lacks {key!r}")
        t = ros[key]
        if list(t.shape) != expected:
            raise ValueError(f"{name} tensor {key!r} has shape {list(t.shape)}, expected {expected}")
        out[ours] = t.detach().to(torch.float32).reshape(template[ours].shape).clone()
        used.add(key)
    unknown = sorted(set(ros) - used)
    if unknown:
        raise ValueError(f"the {name} state dict has tensors that a StyleGAN2 of this shape does not: {unknown[:5]}"
                         f"{' ...' if len(unknown) > 5 else ''} (another rosinality model, e.g. SWAGAN?)")
    return out


@torch.no_grad()
def _estimate_w_avg(cfg: StyleGAN2Config, sd: StateDict) -> torch.Tensor:
    """Mean of ``W_AVG_SAMPLES`` mapped z (fixed seed), as rosinality's ``mean_latent`` does."""
    G = build_generator(cfg)
    G.load_state_dict(sd)
    z = torch.randn([W_AVG_SAMPLES, cfg.z_dim], generator=torch.Generator().manual_seed(0))
    return G.mapping(z, None)[:, 0].mean(dim=0)


def import_rosinality(path: str | Path) -> NetworkData:
    """Read a rosinality checkpoint into ganforge state dicts + a :class:`StyleGAN2Config`.

    Args:
        path: A ``.pt``/``.pth`` file: ``train.py``'s dict, ``{"g_ema", "latent_avg"}``, a bare ``g_ema``
            state dict, or a pSp/e4e checkpoint (``state_dict['decoder.*']``).

    Returns:
        :class:`NetworkData` with ``"G"``, ``"D"``, ``"G_ema"`` for whichever of ``g``, ``d``,
        ``g_ema`` the file holds; ``metadata`` keeps ``args``, ``ada_aug_p`` and notes on what was filled in.

    Raises:
        ValueError: Naming the file, when it cannot be read safely or does not hold a rosinality StyleGAN2.
    """
    path = Path(path)
    nets, latent_avg, extra = _unpack(load_rosinality_file(path), path)
    try:
        cfg = _infer_config(nets, extra.get("args", {}))
        network_shapes(cfg, where=str(path), with_d="D" in nets,  # size limits, before anything is built
                       max_bytes=stored_budget(t for sd in nets.values() for t in sd.values()))
        modules: dict[str, StateDict] = {}
        for name, ros in nets.items():
            if name == "D":
                D = build_discriminator(cfg)
                modules[name] = _convert(ros, D.state_dict(), _discriminator_pairs(D.block_resolutions),
                                         _kernel_keys(len(D.block_resolutions), False), name, extra)
                continue
            resolutions = [2 ** i for i in range(2, int(math.log2(cfg.img_resolution)) + 1)]
            sd = _convert(ros, build_generator(cfg).state_dict(), _generator_pairs(resolutions, cfg.mapping_layers),
                          _kernel_keys(len(resolutions) - 1, True), name, extra)
            if latent_avg is not None:
                rows = latent_avg.detach().to(torch.float32).reshape(-1, cfg.w_dim)
                sd["mapping.w_avg"] = rows[0].clone() if bool((rows == rows[0]).all()) else rows.mean(dim=0)
                extra["w_avg"] = "latent_avg from the file"
            else:
                sd["mapping.w_avg"] = _estimate_w_avg(cfg, sd)
                extra["w_avg"] = f"estimated: mean of {W_AVG_SAMPLES} mapped z (seed 0)"
            modules[name] = sd
    except (KeyError, IndexError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: not a rosinality StyleGAN2 checkpoint this importer understands: {exc}") from None
    return NetworkData(model_config=cfg, state_dicts=modules, source=SOURCE, metadata=extra)


# ------------------------------------------------------------------------------------------ writing


def rosinality_channel_multiplier(G: torch.nn.Module) -> int | None:
    """rosinality's ``channel_multiplier`` giving ``G``'s channels, or ``None`` when no value does."""
    synthesis = G.synthesis
    channels = {res: getattr(synthesis, f"b{res}").out_channels for res in synthesis.block_resolutions}
    for multiplier in (1, 2):
        if all(c == (512 if r <= 32 else 512 * multiplier * 32 // r) for r, c in channels.items()):
            return multiplier
    return None


def _check_generator(G: torch.nn.Module, what: str) -> None:
    if getattr(G, "c_dim", 0) != 0:
        raise ValueError(f"{what}: rosinality generators are unconditional (c_dim={G.c_dim})")
    if getattr(G.synthesis, "input_kind", "const") != "const":
        raise ValueError(f"{what}: rosinality generators start from a learned constant, not a {G.synthesis.input_kind} input")
    if G.synthesis.architecture != "skip":
        raise ValueError(f"{what}: rosinality generators use the 'skip' architecture, not {G.synthesis.architecture!r}")
    if not math.isclose(G.mapping.fc0.bias_gain, MAPPING_LR):
        raise ValueError(f"{what}: rosinality's mapping lr multiplier is {MAPPING_LR}, this one has {G.mapping.fc0.bias_gain}")


def _generator_to_rosinality(G: torch.nn.Module, what: str) -> StateDict:
    _check_generator(G, what)
    sd = G.state_dict()
    resolutions = G.synthesis.block_resolutions
    out = {ros: sd[ours].detach().to("cpu", torch.float32).reshape(_ros_shape(ours, sd[ours].shape)).clone()
           for ours, ros in _generator_pairs(resolutions, G.mapping.num_layers)}
    kernel = G.synthesis.b4.resample_filter.detach().to("cpu", torch.float32)
    out.update({key: kernel * gain for key, gain in _kernel_keys(len(resolutions) - 1, True)})
    return out


def _discriminator_to_rosinality(D: torch.nn.Module) -> StateDict:
    if D.c_dim != 0 or D.architecture != "resnet":
        raise ValueError(f"D: rosinality discriminators are unconditional resnets (c_dim={D.c_dim}, {D.architecture!r})")
    mbstd = D.b4.mbstd
    if mbstd is None or (mbstd.group_size, mbstd.num_channels) != MBSTD:
        raise ValueError(f"D: rosinality's minibatch stddev uses group 4 and 1 channel, this D has "
                         f"{None if mbstd is None else (mbstd.group_size, mbstd.num_channels)}")
    sd = D.state_dict()
    out = {ros: sd[ours].detach().to("cpu", torch.float32).clone() for ours, ros in _discriminator_pairs(D.block_resolutions)}
    kernel = getattr(D, f"b{D.block_resolutions[0]}").resample_filter.detach().to("cpu", torch.float32)
    out.update({key: kernel * gain for key, gain in _kernel_keys(len(D.block_resolutions), False)})
    return out


def export_rosinality(G: torch.nn.Module, path: str | Path, *, D: torch.nn.Module | None = None,
                      G_ema: torch.nn.Module | None = None, latent_avg: torch.Tensor | None = None) -> Path:
    """Write ganforge StyleGAN2 networks as a rosinality checkpoint (plain tensors; loads with ``weights_only``).

    The file is ``{"g_ema": G}`` when only ``G`` is given (what rosinality's ``generate.py``, pSp and
    NADA read), or ``{"g": G, "g_ema": G_ema}``; plus ``"d"`` and ``"latent_avg"`` (default: the
    ``w_avg`` of ``G_ema``, else of ``G``) and ``"args"`` (``size``, ``latent``, ``n_mlp``,
    ``channel_multiplier``; the last is ``None`` when the channel layout is not one rosinality builds).

    Raises:
        ValueError: A network uses something rosinality cannot express (labels, non-skip G, non-resnet D,
            another mapping lr multiplier or minibatch-stddev group).
    """
    path = Path(path)
    gens = {"g_ema": G} if G_ema is None else {"g": G, "g_ema": G_ema}
    ckpt: dict[str, Any] = {key: _generator_to_rosinality(net, key) for key, net in gens.items()}
    if D is not None:
        ckpt["d"] = _discriminator_to_rosinality(D)
    main = gens["g_ema"]
    if latent_avg is None and hasattr(main.mapping, "w_avg"):
        latent_avg = main.mapping.w_avg
    if latent_avg is not None:
        ckpt["latent_avg"] = latent_avg.detach().to("cpu", torch.float32).reshape(main.w_dim).clone()
    ckpt["args"] = {"size": main.img_resolution, "latent": main.w_dim, "n_mlp": main.mapping.num_layers,
                    "channel_multiplier": rosinality_channel_multiplier(main)}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, path)
    return path
