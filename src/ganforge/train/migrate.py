"""The one migration of training configs: the flat ``TrainConfig`` of ganforge 0.x (one object, 56 fields, written
into ``config.json`` and checkpoint metadata before the family contract) -> today's sections.

``migrate_config(d)`` passes a sectioned dict through unchanged and rewrites a flat one; ``migrate_flat(values)``
does the same for flat keyword values (``TrainConfig.from_flat``). Old semantics are kept exactly: ``r1_interval``
``None`` meant "every step" (interval 0 now); ``--gamma`` and ``--pl-weight`` become regulariser entries placed
first, as the old code evaluated them; Adam betas ``(0, 0.99)`` meant "the preset's" in an unresolved config.
"""

from __future__ import annotations

from typing import Any

# flat name -> (section, field); sections: data, model, loss, augment, optim, metrics, transfer, run
_MOVES = {
    "data": ("data", "path"), "cond": ("data", "cond"), "mirror": ("data", "mirror"),
    "model_name": ("model", "family"), "model": ("model", "arch"),
    "loss": ("loss", "adversarial"), "style_mixing_prob": ("loss", "style_mixing_prob"),
    "pl_batch_shrink": ("loss", "pl_batch_shrink"), "pl_decay": ("loss", "pl_decay"),
    "aug": ("augment", "mode"), "aug_p": ("augment", "p"), "augpipe": ("augment", "pipe"),
    "ada_target": ("augment", "target"), "ada_interval": ("augment", "interval"), "ada_kimg": ("augment", "speed_kimg"),
    "diffaug_policy": ("augment", "diffaug_policy"),
    "ema_kimg": ("optim", "ema_kimg"), "ema_rampup": ("optim", "ema_rampup"),
    "metrics": ("metrics", "names"), "metric_ticks": ("metrics", "ticks"), "inception": ("metrics", "inception"),
    "vgg16": ("metrics", "vgg16"), "lpips": ("metrics", "lpips"), "metrics_cache": ("metrics", "cache"),
    "resume_from": ("transfer", "resume_from"), "freezed": ("transfer", "freezed"),
    "mapping_lr_mult": ("transfer", "mapping_lr_mult"),
    "outdir": ("run", "outdir"), "run_dir": ("run", "run_dir"), "kimg": ("run", "kimg"), "batch": ("run", "batch"),
    "batch_gpu": ("run", "batch_gpu"), "tick_kimg": ("run", "tick_kimg"), "image_ticks": ("run", "image_ticks"),
    "snapshot_ticks": ("run", "snapshot_ticks"), "keep_checkpoints": ("run", "keep_checkpoints"),
    "grid_size": ("run", "grid_size"), "seed": ("run", "seed"), "device": ("run", "device"),
    "num_threads": ("run", "num_threads"), "progress": ("run", "progress"), "tensorboard": ("run", "tensorboard"),
}
_OVERRIDES = {"channel_base": "channel_base", "channel_max": "channel_max", "mapping_layers": "mapping_layers",
              "spectral_norm": "spectral_norm"}
_SPECIAL = {"cfg", "regs", "r1_gamma", "r1_interval", "pl_weight", "pl_interval", "g_lr", "d_lr", "betas", "eps"}
FLAT_KEYS = frozenset(_MOVES) | frozenset(_OVERRIDES) | _SPECIAL
DEFAULT_BETAS = (0.0, 0.99)


def is_flat(data: dict[str, Any]) -> bool:
    """Whether ``data`` is a config of the flat 0.x layout."""
    if not isinstance(data, dict):
        return False
    sectioned = {"data", "model", "loss", "metrics"}
    only_flat = set(data) & (FLAT_KEYS - sectioned - {"cfg"})
    typed_flat = (isinstance(data.get("data"), str) or isinstance(data.get("loss"), str)
                  or isinstance(data.get("metrics"), list) or (isinstance(data.get("model"), dict) and "name" in data["model"]))
    return bool(only_flat) or typed_flat


def migrate_config(data: dict[str, Any]) -> dict[str, Any]:
    """A sectioned config dict (flat 0.x dicts are migrated; sectioned ones are returned as they are)."""
    return migrate_flat(data) if is_flat(data) else data


def migrate_flat(values: dict[str, Any]) -> dict[str, Any]:
    """Flat 0.x field values -> the sectioned dict of today's ``TrainConfig``."""
    unknown = sorted(set(values) - FLAT_KEYS)
    if unknown:
        raise ValueError(f"TrainConfig: unknown key(s) {unknown}; valid flat keys: {sorted(FLAT_KEYS)}")
    out: dict[str, Any] = {}
    if "cfg" in values:
        out["cfg"] = values["cfg"]
    for key, (section, name) in _MOVES.items():
        if key in values:
            value = values[key]
            if key == "model" and value is not None and hasattr(value, "to_dict"):
                value = value.to_dict()
            out.setdefault(section, {})[name] = value
    overrides = {_OVERRIDES[k]: values[k] for k in _OVERRIDES if values.get(k) not in (None, False)}
    if overrides:
        out.setdefault("model", {})["overrides"] = overrides
    if isinstance(out.get("model", {}).get("arch"), dict) and "family" not in out["model"]:
        out["model"]["family"] = out["model"]["arch"].get("name", "stylegan2")
    regs = _regs(values)
    if regs is not None:
        out.setdefault("loss", {})["regs"] = regs
    optim = {}
    betas = values.get("betas")
    if betas is not None and tuple(betas) == DEFAULT_BETAS and values.get("g_lr") is None:
        betas = None  # an unresolved 0.x config: (0, 0.99) stood for "the preset's betas"
    for net, lr_key in (("G", "g_lr"), ("D", "d_lr")):
        entry = {}
        if values.get(lr_key) is not None:
            entry["lr"] = values[lr_key]
        if betas is not None:
            entry["betas"] = list(betas)
        if "eps" in values:
            entry["eps"] = values["eps"]
        if entry:
            optim[net] = entry
    if optim:
        out.setdefault("optim", {}).update(optim)
    return out


def _has_path_length(values: dict[str, Any]) -> bool:
    """Whether the 0.x config's model family trains with path length (0.x ignored ``pl_*`` for the others)."""
    from ganforge.models import get_family

    model = values.get("model")
    name = model.get("name") if isinstance(model, dict) else getattr(model, "name", None)
    family = get_family(name or values.get("model_name") or "stylegan2")
    return any(reg[0] == "pl" for reg in family.default_regs)


def _regs(values: dict[str, Any]) -> list[dict] | None:
    """R1 (``r1_gamma``/``r1_interval``) and path length (``pl_weight``/``pl_interval``) as entries before ``regs``."""
    extra = [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in values.get("regs", ())]
    names = {r["name"] for r in extra}
    entries = []
    if "r1" not in names and ("r1_gamma" in values or "r1_interval" in values):
        interval = values.get("r1_interval", 16)
        entries.append({"name": "r1", "weight": values.get("r1_gamma"), "interval": 0 if interval is None else interval})
    if "pl" not in names and ("pl_weight" in values or "pl_interval" in values) and _has_path_length(values):
        weight, interval = values.get("pl_weight", 2.0), values.get("pl_interval", 4)
        if (weight, interval) != (2.0, 4):  # the defaults: left to the family
            entries.append({"name": "pl", "weight": weight, "interval": 0 if interval is None else interval})
    if not entries and "regs" not in values:
        return None
    return entries + extra


def migrate_checkpoint_state(modules: dict, state: dict) -> tuple[dict, dict, dict]:
    """``(modules, train_state, term_state)`` of a checkpoint, from today's layout (``state["terms"]``) or 0.x's
    (``pl_mean``, ``augment_p``, ``ada_acc`` in ``state["train"]``; the LeCam anchors as module ``lecam``)."""
    train = dict(state["train"])
    if "terms" in state:
        return modules, train, state["terms"]
    modules = dict(modules)
    terms: dict[str, dict] = {}
    if "lecam" in modules:
        terms["lecam"] = modules.pop("lecam")
    if "pl_mean" in train:
        terms["pl"] = {"pl_mean": train.pop("pl_mean")}
    import torch

    terms["ada"] = {"p": torch.tensor(float(train.pop("augment_p", 0.0)), dtype=torch.float64),
                    "acc": torch.as_tensor(train.pop("ada_acc", torch.zeros([2], dtype=torch.float64)))}
    return modules, train, terms


def legacy_value(cfg, name: str) -> Any:
    """The value a 0.x flat field ``name`` has in the sectioned ``cfg`` (read-only compatibility)."""
    if name in _MOVES and name not in ("data", "model", "loss", "metrics"):
        section, field = _MOVES[name]
        return getattr(getattr(cfg, section), field)
    if name in _OVERRIDES:
        return cfg.model.overrides.get(_OVERRIDES[name], False if name == "spectral_norm" else None)
    if name in ("r1_gamma", "r1_interval", "pl_weight", "pl_interval"):
        entry = cfg.loss.entry(name[:2])
        return None if entry is None else (entry.weight if name.endswith(("gamma", "weight")) else entry.interval)
    if name == "regs":
        return tuple(r for r in cfg.loss.regs if r.name not in ("r1", "pl"))
    if name in ("g_lr", "d_lr"):
        return getattr(cfg.optim, name[0].upper()).lr
    if name in ("betas", "eps"):
        return getattr(cfg.optim.G, name)
    raise AttributeError(f"TrainConfig has no field {name!r}")
