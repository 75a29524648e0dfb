"""A frozen feature network inside a discriminator never trains: no gradients, no optimiser state, same bits."""

from dataclasses import replace

import pytest
import torch
from torch import nn

from ganforge.backbones import FrozenBackbone, frozen_parameter_ids
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.objective import GANObjective
from ganforge.models import DISCRIMINATORS, DiscriminatorSpec
from ganforge.models.network import Network
from ganforge.nn.shape import assert_shape
from ganforge.train import loop, setup, transfer
from ganforge.train.ada import AdaTuner
from ganforge.train.checkpoint import load_checkpoint
from ganforge.train.distributed import init_distributed
from ganforge.train.phases import Phase
from ganforge.train.stats import TickStats
from tests.train.test_loop import make_folder_dataset, tiny_config

D_NAME = "test-frozen-backbone-d"


class TinyFeatures(nn.Module):
    """A stand-in pretrained feature network: 16x16 RGB -> [N, 8, 4, 4], with BatchNorm statistics and a dropout
    whose behaviour would change (and whose statistics would drift) if it ever ran in train mode."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.drop = nn.Dropout(0.5)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        g = torch.Generator().manual_seed(123)  # "pretrained": fixed weights, independent of the run's seed
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            self.bn.running_mean.copy_(torch.randn(8, generator=g) * 0.1)
            self.bn.running_var.copy_(torch.rand(8, generator=g) + 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.drop(torch.relu(self.bn(self.conv1(x)))))


class BackboneD(Network):
    """A projected-style D: a frozen feature network and a small trained head. ``img [N, 3, 16, 16] -> [N, 1]``."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = FrozenBackbone(TinyFeatures(), name="tiny")
        self.head = nn.Sequential(nn.Conv2d(8, 8, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(8 * 4 * 4, 1))

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        assert_shape(img, [None, 3, 16, 16], "img")
        return self.head(self.backbone(img))


@pytest.fixture
def backbone_d():
    """``BackboneD`` registered as a stylegan2-compatible discriminator for the test's duration."""
    DISCRIMINATORS.register(D_NAME, DiscriminatorSpec(lambda cfg: BackboneD(), families=("stylegan2",)))
    try:
        yield D_NAME
    finally:
        DISCRIMINATORS._entries.pop(D_NAME)


def _cfg(tmp_path, **overrides):
    data = make_folder_dataset(tmp_path / "data")
    cfg = tiny_config(data, tmp_path / "runs", **overrides)
    return replace(cfg, model=replace(cfg.model, d=D_NAME))


def _backbone_state(D: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in D.backbone.state_dict().items()}


def test_wrapper_stays_in_eval_and_without_gradients():
    D = BackboneD()
    D.train()
    assert D.training and D.head.training and not D.backbone.training and not D.backbone.net.bn.training
    D.requires_grad_(True)  # what a loop that trains "every D parameter" would do
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    D(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # gradients flow through it to the input
    assert all(p.grad is None and not p.requires_grad for p in D.backbone.parameters())
    assert all(p.grad is not None for p in D.head.parameters())
    ids = frozen_parameter_ids(D)
    assert ids == {id(p) for p in D.backbone.parameters()} and len(ids) == 6
    assert [id(p) for p in D.trainable_parameters()] == [id(p) for p in D.head.parameters()]


def test_training_steps_leave_the_backbone_untouched_and_train_the_head(tmp_path, backbone_d):
    """Four minibatches through the loop's own phases (build_phases + loop._run_phase, R1 every 2nd step)."""
    cfg = _cfg(tmp_path)
    env = init_distributed("cpu")
    dataset = setup.open_dataset(cfg)
    cfg = setup.resolve(cfg, dataset, env)
    nets = setup.build_nets(cfg, env)
    assert isinstance(nets.D, BackboneD) and nets.D.training and not nets.D.backbone.training
    runners = setup.build_phases(cfg, nets)
    terms = setup.build_terms(cfg, nets, env.device)
    objective = setup.build_objective(cfg, env.device, nets, terms)
    state = setup.TrainState(sampler=setup.InfiniteSampler(len(dataset), seed=cfg.run.seed))
    ada = AdaTuner(cfg.augment, cfg.run.batch, objective.augment, env, terms["ada"])
    stats = TickStats()
    backbone_before = _backbone_state(nets.D)
    head_before = {k: v.detach().clone() for k, v in nets.D.head.state_dict().items()}
    frozen = frozen_parameter_ids(nets.D)
    d_runners = [r for r in runners if r.phase.module == "D"]
    assert {r.phase.name for r in d_runners} == {"Dmain", "Dreg"}
    for r in d_runners:
        assert not frozen & {id(p) for p in r.params}
        assert not frozen & {id(p) for group in r.opt.param_groups for p in group["params"]}
    ran = set()
    for _ in range(4):
        real_img, real_c = loop._fetch_reals(cfg, dataset, state, env)
        for phase_idx, runner in enumerate(runners):
            if runner.phase.is_due(state.batch_idx):
                loop._run_phase(cfg, env, nets, runner, phase_idx, objective, dataset, state, real_img, real_c, stats,
                                ada, terms)
                ran.add(runner.phase.name)
                assert all(p.grad is None and not p.requires_grad for p in nets.D.backbone.parameters())
        state.cur_nimg += cfg.run.batch
        state.batch_idx += 1
    assert ran == {"Gmain", "Greg", "Dmain", "Dreg"}
    opt = setup.optimizers(runners)["D"]
    assert opt.state and not frozen & {id(p) for p in opt.state}  # Adam state only for the head
    assert len(opt.state) == len(list(nets.D.head.parameters()))
    for key, value in _backbone_state(nets.D).items():
        assert torch.equal(value, backbone_before[key]), f"backbone {key} changed"
    for key, value in nets.D.head.state_dict().items():
        assert not torch.equal(value, head_before[key]), f"head {key} did not train"
    assert not nets.D.backbone.training


def test_train_end_to_end_checkpoints_an_unchanged_backbone(tmp_path, backbone_d):
    result = loop.train(_cfg(tmp_path))
    ckpt = load_checkpoint(result.last_checkpoint)
    reference = BackboneD()
    for key, value in reference.state_dict().items():
        saved = ckpt.modules["D"][key]
        if key.startswith("backbone."):
            assert torch.equal(saved, value), f"{key} changed"
        else:
            assert not torch.equal(saved, value), f"{key} did not train"
    opt = ckpt.optimizers["D"]
    assert sum(len(g["params"]) for g in opt["param_groups"]) == len(list(reference.head.parameters()))


def test_transfer_and_weight_clipping_skip_the_backbone(tmp_path, backbone_d):
    D = BackboneD()
    cfg = _cfg(tmp_path)
    params = transfer.trainable_params("D", D, cfg.transfer)
    assert [id(p) for p in params] == [id(p) for p in D.head.parameters()]
    before = _backbone_state(D)
    objective = GANObjective(adversarial=get_adversarial_loss("wgan"), regs=())
    objective.after_step(Phase("Dmain", "D", ("main",), 1), D)  # WGAN clips D's weights to [-0.01, 0.01]
    assert all(float(p.detach().abs().max()) <= 0.01 for p in D.head.parameters())
    assert all(torch.equal(v, before[k]) for k, v in _backbone_state(D).items())
