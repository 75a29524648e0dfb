import pytest

from ganforge.models import model_config
from ganforge.train.config import TrainConfig
from ganforge.train.presets import list_presets, resolve_config


def test_auto_single_process_res32_hand_computed():
    cfg = resolve_config(TrainConfig.from_flat(cfg="auto"), resolution=32, img_channels=3, c_dim=0, num_gpus=1)
    # batch = max(min(1 * min(4096 // 32, 32), 64), 1) = 32; gamma = 0.0002 * 32^2 / 32; ema = 32 * 10 / 32
    assert cfg.batch == 32 and cfg.batch_gpu == 32
    assert cfg.r1_gamma == pytest.approx(0.0064)
    assert cfg.ema_kimg == pytest.approx(10.0)
    assert cfg.ema_rampup == 0.05
    assert cfg.g_lr == cfg.d_lr == 0.0025
    assert cfg.model.channel_base == 16384 and cfg.model.mapping_layers == 2
    assert cfg.model.mbstd_group_size == 4
    assert cfg.is_resolved


def test_auto_eight_gpus_res256_and_1024():
    cfg = resolve_config(TrainConfig.from_flat(cfg="auto"), resolution=256, img_channels=3, c_dim=0, num_gpus=8)
    # batch = max(min(8 * 16, 64), 8) = 64, 8 per GPU; gamma = 0.0002 * 65536 / 64
    assert (cfg.batch, cfg.batch_gpu) == (64, 8)
    assert cfg.r1_gamma == pytest.approx(0.2048)
    assert cfg.ema_kimg == pytest.approx(20.0)
    big = resolve_config(TrainConfig.from_flat(cfg="auto"), resolution=1024, img_channels=3, c_dim=0, num_gpus=8)
    assert big.g_lr == 0.002 and big.model.channel_base == 32768 and big.batch == 32


def test_paper_preset_and_overrides():
    cfg = resolve_config(TrainConfig.from_flat(cfg="paper256", r1_gamma=0.5, batch=32, batch_gpu=8, channel_max=256),
                         resolution=256, img_channels=3, c_dim=0)
    assert cfg.r1_gamma == 0.5 and cfg.batch == 32 and cfg.batch_gpu == 8
    assert cfg.ema_kimg == 20.0 and cfg.ema_rampup is None and cfg.model.mapping_layers == 8
    assert cfg.model.channel_max == 256


def test_resolved_config_round_trips_through_json():
    cfg = resolve_config(TrainConfig.from_flat(cfg="cpu", data="x.zip", cond=True), resolution=32, img_channels=3, c_dim=5)
    again = TrainConfig.from_json(cfg.to_json())
    assert again == cfg
    assert again.model.c_dim == 5


def test_bad_batch_and_model_mismatch():
    with pytest.raises(ValueError, match="multiple"):
        resolve_config(TrainConfig.from_flat(batch=10), resolution=32, img_channels=3, c_dim=0, num_gpus=4)
    with pytest.raises(ValueError, match="batch-gpu"):
        TrainConfig.from_flat(batch=10, batch_gpu=4)
    with pytest.raises(ValueError, match="dataset is 64x64px"):
        resolve_config(TrainConfig.from_flat(model=model_config("stylegan2", img_resolution=32)), resolution=64,
                       img_channels=3, c_dim=0)


def test_every_preset_resolves():
    for name in list_presets():
        cfg = resolve_config(TrainConfig.from_flat(cfg=name), resolution=64, img_channels=3, c_dim=0)
        assert cfg.is_resolved, name


@pytest.mark.parametrize("loss", ["wgan", "wgan-gp"])
def test_wgans_train_without_r1_unless_gamma_is_given_and_the_log_line_says_so(loss):
    from ganforge.train.setup import describe_loss

    cfg = resolve_config(TrainConfig.from_flat(cfg="paper256", loss=loss), resolution=32, img_channels=3, c_dim=0)
    r1 = next(r for r in cfg.loss.regs if r.name == "r1")
    assert r1.weight == 0.0  # the preset's gamma (paper256: 1) does not apply to a WGAN
    assert f"r1 off ({loss} has its own Lipschitz constraint; --gamma turns R1 on)" in describe_loss(cfg)
    on = resolve_config(TrainConfig.from_flat(cfg="paper256", loss=loss, r1_gamma=2.0), resolution=32,
                        img_channels=3, c_dim=0)
    assert next(r for r in on.loss.regs if r.name == "r1").weight == 2.0 and "r1 2 every 16" in describe_loss(on)
    ns = resolve_config(TrainConfig.from_flat(cfg="paper256"), resolution=32, img_channels=3, c_dim=0)
    assert next(r for r in ns.loss.regs if r.name == "r1").weight == 1.0  # other losses keep the preset's R1


def test_preset_schedules_merge_with_flags_and_aug_mode_drops_the_p_schedule():
    """A recipe preset (registered from outside train/presets.py, as a family would) brings a family, a loss, an
    augmentation and schedules; flags replace single schedules by target, and --aug ada drops the p schedule."""
    from ganforge.presets import PRESETS, Preset, cosine_schedules
    from ganforge.train.presets import apply_preset

    recipe = Preset(values={"model": {"family": "dcgan"}, "loss": {"adversarial": "hinge"},
                            "augment": {"mode": "fixed", "p": 0.0},
                            "schedules": cosine_schedules({"G.lr": (0.002, 0.0005), "augment.p": (0.0, 0.3)}, 100)})
    PRESETS.register("test-recipe", recipe)
    try:
        plain = apply_preset({}, "test-recipe", "stylegan2")
        assert plain["model"]["family"] == "dcgan" and [s["target"] for s in plain["schedules"]] == ["G.lr", "augment.p"]
        mine = {"target": "G.lr", "kind": "constant", "start": 0.001}
        flags = apply_preset({"schedules": [mine], "augment": {"mode": "ada"}}, "test-recipe", "stylegan2")
        assert flags["schedules"] == [mine] and flags["augment"] == {"mode": "ada", "p": 0.0}
        cfg = resolve_config(TrainConfig.from_dict(plain), resolution=16, img_channels=3, c_dim=0)
        assert cfg.model.family == "dcgan" and cfg.loss.adversarial == "hinge"
        assert [(s.target, s.start, s.end) for s in cfg.schedules] == [("G.lr", 0.002, 0.0005), ("augment.p", 0.0, 0.3)]
    finally:
        PRESETS._entries.pop("test-recipe")
