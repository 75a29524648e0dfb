"""Registry contract: every model x every loss (and every regulariser) trains a few steps through the real phases and
objective without NaN; the baselines train end to end through ``train()``."""

import copy
import json
from dataclasses import replace

import pytest
import torch

from ganforge.losses import ADVERSARIAL_LOSSES
from ganforge.losses.regularizers import REGULARIZERS, RegConfig
from ganforge.models import build_discriminator, build_generator, get_family, list_models, model_config
from ganforge.train import setup
from ganforge.train.distributed import DistEnv
from ganforge.train.config import TrainConfig
from ganforge.train.presets import resolve_config
from tests.train.test_loop import make_folder_dataset

TINY = {"stylegan2": dict(z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8, mbstd_group_size=2),
        "dcgan": dict(z_dim=8, channel_base=64, channel_max=8),
        "stylegan3": dict(z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8, mbstd_group_size=2,
                          num_layers=4),
        "fastgan": dict(z_dim=8, ngf=4, channel_max=8),
        "r3gan": dict(z_dim=8, channel_base=64, channel_max=8, group_size=8, embed_dim=8, blocks_per_stage=1)}


TINY_D = {"projected": {"backbone_res": 32, "mix_channels": 4, "head_channels": 4, "cmap_dim": 4}}
"""Small options of the discriminators that take some (by registered name)."""


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _model(name, c_dim=0):
    kwargs = TINY.get(name, TINY["dcgan"])  # the dcgan-* members share dcgan's knobs
    return model_config(name, img_resolution=16, img_channels=3, c_dim=c_dim, **kwargs)


def _train_steps(cfg: TrainConfig, steps: int = 2, batch: int = 4):
    """``steps`` minibatches of the run's phases (as the loop runs them), returning the nets and the losses seen."""
    cfg = resolve_config(cfg, resolution=16, img_channels=3, c_dim=cfg.model.c_dim)
    torch.manual_seed(0)
    G, D = build_generator(cfg.model).train().requires_grad_(False), build_discriminator(cfg.model).train().requires_grad_(False)
    nets = setup.Nets(G=G, D=D, G_ema=copy.deepcopy(G).eval())
    runners = setup.build_phases(cfg, nets)
    terms = setup.build_terms(cfg, nets)
    objective = setup.build_objective(cfg, "cpu", nets, terms)
    before = {k: v.clone() for k, v in {**G.state_dict(keep_vars=False), **{f"D.{k}": v for k, v in D.state_dict().items()}}.items()}
    losses = []
    c = torch.eye(cfg.model.c_dim)[torch.arange(batch) % cfg.model.c_dim] if cfg.model.c_dim else None
    for step in range(steps):
        real = torch.rand(batch, 3, 16, 16) * 2 - 1
        for runner in runners:
            if not runner.phase.is_due(step):
                continue
            runner.opt.zero_grad(set_to_none=True)
            runner.module.requires_grad_(True)
            out = objective.compute(runner.phase, G, D, real, c, torch.randn(batch, G.z_dim), c, torch.zeros([]))
            out.loss.backward()
            runner.module.requires_grad_(False)
            runner.opt.step()
            objective.after_step(runner.phase, runner.module)
            terms.update([out.terms], DistEnv(device=torch.device("cpu")))
            losses.append(out.loss.detach())
    return nets, runners, objective, torch.stack(losses), before


@pytest.mark.parametrize("loss", ADVERSARIAL_LOSSES.names())
@pytest.mark.parametrize("name", list_models())
def test_every_model_trains_with_every_loss(name, loss):
    cfg = TrainConfig.from_flat(model=_model(name), loss=loss, batch=4, r1_gamma=1.0, r1_interval=2, pl_interval=2, g_lr=1e-3,
                      d_lr=1e-3, ema_kimg=1.0)
    d_options = TINY_D.get(get_family(name).default_d, {})
    cfg = replace(cfg, model=replace(cfg.model, d_options=d_options))
    nets, runners, objective, losses, before = _train_steps(cfg)
    assert torch.isfinite(losses).all()
    for net in (nets.G, nets.D):
        assert all(torch.isfinite(p).all() for p in net.parameters())
    after = nets.D.state_dict()
    assert any(not torch.equal(before[f"D.{k}"], after[k]) for k in after if after[k].is_floating_point())
    phases = {r.phase.name for r in runners}
    d_main = "Dboth" if loss == "wgan-gp" else "Dmain"  # WGAN-GP's penalty runs with the main loss
    if name == "stylegan2":
        assert phases == {"Gmain", "Greg", d_main, "Dreg"} and objective.style_mixing_prob > 0
    elif name in ("stylegan1", "stylegan3"):  # a mapping network but no path length by default: style mixing, one G phase
        assert phases == {"Gboth", d_main, "Dreg"} and objective.style_mixing_prob > 0
    else:  # no mapping network: no path length, no style mixing
        assert phases == {"Gboth", d_main, "Dreg"} and objective.style_mixing_prob == 0
    if loss == "wgan":
        assert all(p.abs().max() <= 0.01 for p in nets.D.trainable_parameters())  # not a frozen feature network
    if loss == "wgan-gp":
        assert [r.name for r in objective.regs if r.name != "pl"] == ["r1", "wgan_gp"]


@pytest.mark.parametrize("reg", [n for n in REGULARIZERS.names() if n != "pl"])
def test_every_regulariser_trains_eager_and_lazy(reg):
    for interval in (0, 2):
        cfg = TrainConfig.from_flat(model=_model("dcgan-csp", c_dim=2), cond=True, loss="hinge", batch=4, r1_gamma=0.0,
                          regs=(RegConfig(reg, 1.0, interval),), g_lr=1e-3, d_lr=1e-3, ema_kimg=1.0)
        nets, runners, objective, losses, _ = _train_steps(cfg, steps=3)
        assert torch.isfinite(losses).all()
        assert {r.phase.name for r in runners} == ({"Gboth", "Dboth"} if interval == 0 else {"Gboth", "Dmain", "Dreg"})
        if reg == "lecam":
            assert objective.state["lecam"].anchor_real.item() != 0


def test_baselines_train_end_to_end_through_train(tmp_path):
    from ganforge.train.loop import train

    data = make_folder_dataset(tmp_path / "data", labels=True)
    for name, loss, regs in (("dcgan-csp", "relativistic", (RegConfig("lecam", 0.1),)), ("dcgan-resnet", "wgan-gp", ())):
        cfg = TrainConfig.from_flat(data=str(data), outdir=str(tmp_path / "runs"), model=_model(name, c_dim=3), cond=True,
                          loss=loss, regs=regs, batch=4, kimg=0.016, tick_kimg=0.008, snapshot_ticks=1, grid_size=2,
                          progress=False, tensorboard=False, device="cpu")
        result = train(cfg)
        rows = [json.loads(line) for line in (result.run_dir / "stats.jsonl").read_text().splitlines()]
        assert len(rows) == 2 and all(torch.isfinite(torch.tensor(v)) for v in rows[-1].values())
        for key in ("Diag/D_acc_real", "Diag/D_acc_fake", "Diag/diversity", "Diag/duplicate_rate", "Grad/Gboth"):
            assert key in rows[-1], key
        saved = json.loads((result.run_dir / "config.json").read_text())
        assert saved["model"]["arch"]["name"] == name and saved["optim"]["G"]["betas"] == [0.5, 0.999]  # dcgan preset
        assert result.last_checkpoint is not None
    from ganforge.train.checkpoint import load_checkpoint

    assert "lecam" in load_checkpoint(sorted((tmp_path / "runs").glob("00000-*/network-*.safetensors"))[-1]).state["terms"]


def test_baseline_with_lecam_resumes_bit_exactly(tmp_path):
    """BN buffers and the LeCam anchors are checkpointed: 2 ticks straight == 1 tick + resume."""
    from ganforge.train.checkpoint import find_checkpoints
    from ganforge.train.loop import train
    from tests.train.test_loop import assert_same_checkpoints

    data = make_folder_dataset(tmp_path / "data")

    def cfg(outdir, kimg):
        return TrainConfig.from_flat(data=str(data), outdir=str(outdir), model=_model("dcgan-resnet"), loss="lsgan",
                           regs=(RegConfig("lecam", 0.5), RegConfig("r2", 1.0, 2)), batch=4, kimg=kimg,
                           tick_kimg=0.008, snapshot_ticks=1, grid_size=2, progress=False, tensorboard=False,
                           device="cpu", keep_checkpoints=0, num_threads=1)

    straight = train(cfg(tmp_path / "a", 0.016))
    first = train(cfg(tmp_path / "b", 0.008))
    resumed = train(cfg(tmp_path / "b", 0.016), resume=str(first.run_dir))
    assert_same_checkpoints(straight.last_checkpoint, resumed.last_checkpoint)
    from ganforge.train.checkpoint import load_checkpoint

    a = load_checkpoint(straight.last_checkpoint).state["terms"]["lecam"]
    b = load_checkpoint(find_checkpoints(resumed.run_dir)[-1]).state["terms"]["lecam"]
    assert a["anchor_real"].item() != 0 and torch.equal(a["anchor_real"], b["anchor_real"])
