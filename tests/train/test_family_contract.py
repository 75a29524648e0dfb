"""The family contract: families and discriminators by name, clear errors, presets as partial configs, the flat 0.x
config migrated by one function, and no family named in the generic training code."""

import ast
import json
from pathlib import Path

import pytest

from ganforge.models import (DISCRIMINATORS, FAMILIES, build_discriminator, check_discriminator, list_discriminators,
                             list_models, model_config)
from ganforge.train.config import TrainConfig
from ganforge.train.migrate import is_flat, migrate_flat
from ganforge.train.presets import apply_preset, resolve_config

SRC = Path(__file__).resolve().parents[2] / "src" / "ganforge"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wave1"


@pytest.mark.parametrize("family", list_models())
def test_every_family_builds_its_default_d_and_defaults_fit_the_dataset(family):
    spec = FAMILIES.get(family)
    assert spec.default_d in list_discriminators(family)
    cfg = resolve_config(TrainConfig.from_dict({"model": {"family": family}}), resolution=16, img_channels=1, c_dim=0)
    assert cfg.model.family == family and cfg.model.d == spec.default_d
    assert (cfg.model.arch.img_resolution, cfg.model.arch.img_channels) == (16, 1)
    assert isinstance(cfg.model.arch, spec.config_cls)


def test_unknown_names_and_misfits_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown model family 'biggan'; known: dcgan, dcgan-csp, dcgan-resnet, fastgan, progan, r3gan, stylegan1, stylegan2, stylegan3"):
        resolve_config(TrainConfig.from_dict({"model": {"family": "biggan"}}), resolution=16, img_channels=3, c_dim=0)
    with pytest.raises(ValueError, match="unknown discriminator 'patch'; valid for stylegan2: projected, stylegan2"):
        check_discriminator("stylegan2", "patch")
    with pytest.raises(ValueError, match="discriminator 'dcgan' does not fit model family 'stylegan2'; valid: projected, stylegan2"):
        build_discriminator(model_config("stylegan2", img_resolution=16), "dcgan")
    with pytest.raises(ValueError, match="unknown adversarial loss 'softmax'; known: .*hinge.*nonsaturating"):
        TrainConfig.from_dict({"loss": {"adversarial": "softmax"}})
    with pytest.raises(ValueError, match="unknown regulariser 'r3'; known: dragan, .*r1, r1r2, r2"):
        TrainConfig.from_dict({"loss": {"regs": [{"name": "r3"}]}})
    with pytest.raises(ValueError, match="unknown schedule 'saw'; known: constant, cosine"):
        TrainConfig.from_dict({"schedules": [{"target": "G.lr", "kind": "saw"}]})
    with pytest.raises(ValueError, match="'dcgan' has no option mapping_layers"):
        resolve_config(TrainConfig.from_dict({"model": {"family": "dcgan", "overrides": {"mapping_layers": 4}}}),
                       resolution=16, img_channels=3, c_dim=0)


def test_a_new_discriminator_pairs_with_an_existing_family_by_registration():
    """A D registered for stylegan2 is picked with model.d; the registry is the only thing that changes."""
    from ganforge.models.stylegan2 import build_discriminator as sg2_d

    DISCRIMINATORS.register("test-sg2-copy", type(DISCRIMINATORS.get("stylegan2"))(sg2_d, families=("stylegan2",)))
    try:
        cfg = resolve_config(TrainConfig.from_dict({"model": {"d": "test-sg2-copy"}}), resolution=16, img_channels=3,
                             c_dim=0)
        assert cfg.model.d == "test-sg2-copy"
        assert "test-sg2-copy" in list_discriminators("stylegan2")
        assert "test-sg2-copy" not in list_discriminators("dcgan")
    finally:
        DISCRIMINATORS._entries.pop("test-sg2-copy")


def test_preset_is_a_partial_config_under_the_flags():
    values = apply_preset({"run": {"batch": 8}}, "paper256", "stylegan2")
    cfg = TrainConfig.from_dict(values)
    assert cfg.run.batch == 8 and cfg.run.kimg == 25000.0  # the flag wins; the preset fills the rest
    assert cfg.optim.G.lr == 0.0025 and cfg.optim.ema_kimg == 20.0 and cfg.optim.ema_rampup is None
    assert cfg.loss.entry("r1").weight == 1.0
    dcgan = TrainConfig.from_dict(apply_preset({"model": {"family": "dcgan"}}, "auto", "dcgan"))
    assert dcgan.optim.G.betas == (0.5, 0.999) and dcgan.run.batch == 64  # auto = the family's default preset


def test_flat_config_of_wave1_migrates_to_the_same_resolved_run():
    """The fixture run's flat config.json (written before the redesign) loads through the one migration and, once
    resolved, describes the same run: model, R1, path length, LeCam, ADA, optimiser."""
    flat = json.loads((FIXTURE / "config.json").read_text())
    assert is_flat(flat) and not is_flat(TrainConfig.from_dict(flat).to_dict())
    cfg = TrainConfig.from_dict(flat)
    assert cfg.model.arch.to_dict() == {**flat["model"], "init_res": [4, 4], "input": "const"}  # fields added since
    assert [(r.name, r.weight, r.interval) for r in cfg.loss.regs] == [("r1", 0.0128, 16), ("lecam", None, None)]
    resolved = resolve_config(cfg, resolution=32, img_channels=3, c_dim=0)
    assert [(r.name, r.weight, r.interval) for r in resolved.loss.regs] == [("r1", 0.0128, 16), ("pl", 2.0, 4),
                                                                          ("lecam", 0.3, 0)]
    assert (resolved.augment.mode, resolved.augment.target, resolved.augment.speed_kimg) == ("ada", 0.3, 2.0)
    assert (resolved.optim.G.lr, resolved.optim.G.betas, resolved.optim.ema_kimg) == (0.0025, (0.0, 0.99), 5.0)
    assert (resolved.run.batch, resolved.run.seed, resolved.data.path) == (16, 5, "datasets/emoji-32.zip")
    # the flat names still read (scripts written against 0.x)
    assert (resolved.r1_gamma, resolved.batch, resolved.g_lr, resolved.aug) == (0.0128, 16, 0.0025, "ada")


def test_flat_r1_interval_none_meant_every_step():
    assert migrate_flat({"r1_gamma": 1.0, "r1_interval": None})["loss"]["regs"] == [
        {"name": "r1", "weight": 1.0, "interval": 0}]


def _family_literals(path: Path) -> list[str]:
    """Family names that a module compares with or branches on (string constants inside comparisons)."""
    names = set(list_models())
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Constant) and sub.value in names:
                    found.append(f"{path.name}:{node.lineno}: {sub.value}")
    return found


def test_generic_training_code_names_no_family():
    for name in ("train/presets.py", "train/loop.py", "train/setup.py", "losses/objective.py", "train/hparams.py"):
        assert _family_literals(SRC / name) == []
    offenders = [str(p) for p in SRC.rglob("*.py") if 'hasattr(G, "mapping")' in p.read_text()]
    assert offenders == []


@pytest.mark.parametrize("family", [f for f in list_models() if FAMILIES.get(f).grows])
def test_every_growing_family_grows_with_its_default_d(family):
    """A family with ``grows=True``: ``--growing`` resolves to a growing config with a ``growth`` schedule, and G and its
    default D declare the same stages and follow the level (what train/growth.py needs, and nothing family-named)."""
    import torch

    from ganforge.models import build_generator
    from ganforge.models.growing import growth_stage

    values = {"model": {"family": family, "overrides": {"growing": True}}, "run": {"batch": 4}}
    cfg = resolve_config(TrainConfig.from_dict(values), resolution=16, img_channels=3, c_dim=0)
    assert cfg.model.arch.growing and [s.kind for s in cfg.schedules if s.target == "growth"] == ["grow"]
    G, D = build_generator(cfg.model.arch), build_discriminator(cfg.model.arch, cfg.model.d)
    assert G.growth_resolutions == D.growth_resolutions == [4, 8, 16]
    for net in (G, D):
        net.set_growth_level(0.5)
        assert (growth_stage(net).resolution, growth_stage(net).alpha) == (8, 0.5)
    img = G(torch.randn(2, G.z_dim), None)
    assert img.shape == (2, 3, 16, 16) and D(img, None).shape == (2, 1)
    plain = resolve_config(TrainConfig.from_dict({"model": {"family": family}}), resolution=16, img_channels=3, c_dim=0)
    assert not any(s.target == "growth" for s in plain.schedules)  # the preset's growth schedule only with --growing
