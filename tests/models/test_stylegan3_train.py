"""StyleGAN3's presets resolve to the official settings, and the family trains through ``train()``."""

import pytest
import torch

from ganforge.train.presets import preset_config, resolve_config


def _resolved(name):
    return resolve_config(preset_config(name), resolution=32, img_channels=3, c_dim=0)


def test_official_presets():
    for name, cfg_name in (("stylegan3-t", "t"), ("stylegan3-r", "r")):
        cfg = _resolved(name)
        arch = cfg.model.arch
        assert (cfg.model.family, cfg.model.d, arch.cfg, arch.mapping_layers) == ("stylegan3", "stylegan3", cfg_name, 2)
        assert (arch.channel_base, arch.channel_max, arch.z_dim) == (32768, 512, 512)
        assert arch.magnitude_ema_beta == pytest.approx(0.5 ** (32 / 40_000))  # 20k-image half-life, 2 updates/step
        assert [(r.name, r.weight) for r in cfg.loss.regs] == [("r1", 2.0)]  # no path length
        assert cfg.loss.style_mixing_prob == 0.0
        assert (cfg.optim.G.lr, cfg.optim.D.lr, cfg.optim.G.betas) == (0.0025, 0.002, (0.0, 0.99))
        assert (cfg.run.batch, cfg.optim.ema_kimg, cfg.optim.ema_rampup) == (32, 10.0, 0.05)
        blur = [s for s in cfg.schedules if s.target == "blur_sigma"]
        if cfg_name == "r":  # D sees blurred images, sigma 10 -> 0 over 200 kimg
            assert [(s.kind, s.start, s.end, s.ramp_kimg) for s in blur] == [("linear", 10.0, 0.0, 200.0)]
        else:
            assert blur == []
    cpu = _resolved("stylegan3-cpu")
    assert cpu.model.arch.cfg == "t" and cpu.run.batch == 16 and cpu.model.arch.channel_max == 32 and cpu.model.arch.num_layers == 8


def test_stylegan3_trains_through_train(tmp_path):
    import json

    from ganforge.inference import open_networks
    from ganforge.train.loop import train
    from tests.train.test_loop import make_folder_dataset, tiny_config

    torch.set_num_threads(1)
    data = make_folder_dataset(tmp_path / "data")
    model = {"name": "stylegan3", "cfg": "r", "img_resolution": 16, "z_dim": 16, "w_dim": 16, "channel_base": 256,
             "channel_max": 16, "num_layers": 4, "mbstd_group_size": 2}
    cfg = tiny_config(data, tmp_path / "runs", model=model, num_threads=1, pl_interval=None, style_mixing_prob=0.0,
                      metrics=("eqt4_int", "eqr4"), metric_ticks=1)
    result = train(cfg)
    for name in ("eqt4_int", "eqr4"):  # equivariance during training, on G_ema, every tick
        records = [json.loads(x) for x in (result.run_dir / f"metric-{name}.jsonl").read_text().splitlines()]
        assert len(records) == 2 and all(r["results"][name] > 10 for r in records)
    net = open_networks(result.last_checkpoint)
    G = net.G
    assert type(G).__module__.startswith("ganforge.models.stylegan3")
    emas = [getattr(G.synthesis, n).magnitude_ema.item() for n in G.synthesis.layer_names]
    assert all(e != 1.0 for e in emas)  # tracked during training, copied into G_ema
    with torch.no_grad():
        img = G(torch.randn(2, 16))
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()
