"""Regularisers: every penalty against finite differences on a tiny D, samplers, LeCam EMA, weight clipping, the
registry, and how the objective weights and schedules them."""

import pytest
import torch
from torch import nn

from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.lecam import LeCamAnchors
from ganforge.losses.objective import GANObjective
from ganforge.losses.penalties import (dragan_points, gradient_norm_penalty, interpolate, lecam_penalty, lecam_update,
                                       r1_penalty, r2_penalty)
from ganforge.losses.regularizers import REGULARIZERS, RegConfig, parse_reg, resolve_regs, training_regs
from ganforge.train.phases import Phase, lazy_reg_hparams, regularized_phases


class TinyD(nn.Module):
    """Per-sample, smooth: ``[N, 1, 4, 4] -> [N, 1]`` (float64)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(12, 1)).double()

    def forward(self, x, c=None):
        return self.net(x)


def _fd_input_grad(D, x, h=1e-6):
    """Central finite differences of D(x_i) with respect to every pixel of every sample: ``[N, 1, 4, 4]``."""
    grad = torch.zeros_like(x)
    flat = grad.view(x.shape[0], -1)
    for j in range(flat.shape[1]):
        e = torch.zeros_like(x).view(x.shape[0], -1)
        e[:, j] = h
        e = e.view_as(x)
        flat[:, j] = ((D(x + e) - D(x - e)) / (2 * h))[:, 0]
    return grad


@pytest.fixture
def tiny():
    torch.manual_seed(1)
    return TinyD(), torch.randn(3, 1, 4, 4, dtype=torch.float64)


@pytest.mark.parametrize("fn", [r1_penalty, r2_penalty])
def test_r1_r2_match_finite_differences(tiny, fn):
    D, x = tiny
    x = x.requires_grad_(True)
    expected = _fd_input_grad(D, x.detach()).flatten(1).square().sum(1)
    torch.testing.assert_close(fn(x, D(x)), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("one_sided", [False, True])
@pytest.mark.parametrize("target", [1.0, 0.01])
def test_gradient_norm_penalty_matches_finite_differences(tiny, one_sided, target):
    D, x = tiny
    x = x.requires_grad_(True)
    norm = _fd_input_grad(D, x.detach()).flatten(1).norm(dim=1)
    gap = norm - target
    expected = (gap.clamp(min=0) if one_sided else gap).square()
    torch.testing.assert_close(gradient_norm_penalty(x, D(x), target=target, one_sided=one_sided), expected,
                               rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ["r1", "r2", "wgan_gp", "dragan", "dragan1", "lecam"])
def test_penalty_gradient_into_d_matches_finite_differences(tiny, name):
    """The penalty of each registered D term is differentiable into D's parameters (double backward is right)."""
    D, x = tiny
    fake = torch.randn_like(x)
    reg = REGULARIZERS.get(name)

    def penalty():
        from ganforge.losses.regularizers import RegContext
        torch.manual_seed(5)  # the samplers' draws are the same in every evaluation
        ctx = RegContext(run_G=None, run_D=lambda img, c: D(img), real_img=x, real_c=None, gen_z=x, gen_c=None,
                         pl_mean=torch.zeros([]), fake_img=fake, state={"lecam": _anchors()})
        return reg.penalty(ctx).sum()

    def _anchors():
        a = LeCamAnchors().double()
        a.anchor_real.fill_(0.3)
        a.anchor_fake.fill_(-0.2)
        return a

    weight = D.net[3].weight
    (grad,) = torch.autograd.grad(penalty(), [weight])
    h, idx = 1e-6, (0, 5)
    values = []
    for step in (h, -2 * h, h):
        with torch.no_grad():
            weight[idx] += step
        values.append(penalty().detach())
    up, down = values[0], values[1]
    assert grad[idx].item() == pytest.approx(((up - down) / (2 * h)).item(), rel=1e-4, abs=1e-8)


def test_samplers():
    real, fake = torch.ones(2, 1, 2, 2), torch.zeros(2, 1, 2, 2)
    pts = interpolate(real, fake, eps=torch.tensor([0.0, 0.25]))
    assert pts.requires_grad and pts[0].eq(0).all() and pts[1].eq(0.25).all()
    x = torch.tensor([0.0, 2.0]).reshape(2, 1, 1, 1)  # std = sqrt(2)
    pts = dragan_points(x, noise=torch.ones_like(x), alpha=torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(pts.detach().flatten(), torch.tensor([0.0, 2.0 + 0.5 * 2**0.5]))
    with pytest.raises(ValueError, match="same shape"):
        interpolate(real, torch.zeros(1, 1, 2, 2))


def test_lecam_penalty_hand_computed_and_anchor_ema():
    r, f = torch.tensor([[1.0], [3.0]]), torch.tensor([[-1.0], [0.0]])
    # (r - a_F)^2 + (f - a_R)^2 with a_R = 2, a_F = -1
    assert lecam_penalty(r, f, torch.tensor(2.0), torch.tensor(-1.0)).tolist() == [4.0 + 9.0, 16.0 + 4.0]
    anchors = LeCamAnchors(decay=0.9)
    expected_r = expected_f = 0.0
    for step in range(5):
        rl, fl = torch.randn(4, 1) + 2, torch.randn(4, 1) - 1
        anchors.update(rl, fl)
        expected_r = 0.9 * expected_r + 0.1 * rl.mean().item()
        expected_f = 0.9 * expected_f + 0.1 * fl.mean().item()
        assert anchors.anchor_real.item() == pytest.approx(expected_r, abs=1e-6)
        assert anchors.anchor_fake.item() == pytest.approx(expected_f, abs=1e-6)
    new_r, new_f = lecam_update(torch.tensor(1.0), torch.tensor(0.0), r, f, decay=0.5)
    assert (new_r.item(), new_f.item()) == (1.5, -0.25)
    assert set(anchors.state_dict()) == {"anchor_real", "anchor_fake"}  # checkpointed as buffers


def test_weight_clipping_bounds():
    torch.manual_seed(0)
    D = nn.Linear(8, 1)
    with torch.no_grad():
        D.weight.mul_(10)
    G = nn.Linear(8, 8)
    g_before = G.weight.clone()
    wgan = GANObjective(get_adversarial_loss("wgan"))
    wgan.after_step(Phase("Gboth", "G", ("main", "reg"), 1), G)
    assert torch.equal(G.weight, g_before)  # G is never clipped
    wgan.after_step(Phase("Dboth", "D", ("main", "reg"), 1), D)
    assert all(p.abs().max() <= 0.01 for p in D.parameters()) and D.weight.abs().max() == 0.01
    before = D.weight.clone() * 50
    with torch.no_grad():
        D.weight.copy_(before)
    GANObjective(get_adversarial_loss("hinge")).after_step(Phase("Dboth", "D", ("main", "reg"), 1), D)
    assert torch.equal(D.weight, before)  # no clipping for other losses


def test_reg_config_parsing_and_resolution():
    assert parse_reg("r1:10:16") == RegConfig("r1", 10.0, 16)
    assert parse_reg("lecam:0.3") == RegConfig("lecam", 0.3, None)
    for bad in ("", "r1:x", "r1:1:2:3", "nope"):
        with pytest.raises(ValueError):
            parse_reg(bad)
    (lecam,) = resolve_regs([RegConfig("lecam")])
    assert (lecam.weight, lecam.interval, lecam.lazy) == (0.3, 0, False)
    assert resolve_regs([RegConfig("r2", 0.0)]) == ()  # weight 0 = off
    with pytest.raises(ValueError, match="twice"):
        resolve_regs([RegConfig("r1"), RegConfig("r1")])


def test_training_regs_official_defaults_and_capabilities():
    regs = training_regs(r1_gamma=10.0, r1_interval=16, pl_weight=2.0, pl_interval=4)
    assert [(r.name, r.weight, r.interval) for r in regs] == [("r1", 10.0, 16), ("pl", 2.0, 4)]
    regs = training_regs(r1_gamma=0.0, r1_interval=16, pl_weight=2.0, pl_interval=4, has_mapping=False)
    assert regs == ()  # path length needs a mapping network: dropped for DCGAN-family G
    regs = training_regs(r1_gamma=0.0, r1_interval=16, pl_weight=0.0, pl_interval=4, implied="wgan_gp",
                         extra=(RegConfig("lecam"),))
    assert [r.name for r in regs] == ["lecam", "wgan_gp"]
    with pytest.raises(ValueError, match="mapping"):
        training_regs(r1_gamma=0, r1_interval=None, pl_weight=0, pl_interval=None, extra=(RegConfig("pl"),),
                      has_mapping=False)


def test_phases_and_optimizer_correction_for_several_intervals():
    assert [p.name for p in regularized_phases("D", (16,), eager=False)] == ["Dmain", "Dreg"]
    assert [p.name for p in regularized_phases("D", (), eager=True)] == ["Dboth"]
    phases = regularized_phases("D", (4, 16), eager=True)
    assert [(p.name, p.interval) for p in phases] == [("Dboth", 1), ("Dreg4", 4), ("Dreg16", 16)]
    lr, betas, r = lazy_reg_hparams(1.0, (0.5, 0.9), (4, 16))
    assert r == pytest.approx(1 / (1 + 1 / 4 + 1 / 16)) and lr == pytest.approx(r)
    assert lazy_reg_hparams(0.1, (0.0, 0.99), (16,)) == lazy_reg_hparams(0.1, (0.0, 0.99), 16)


def test_objective_applies_weight_scale_and_interval_gain_once(tiny):
    """A lazy R2 phase's loss is ``mean(penalty) * gamma / 2 * interval``; eager terms run in the main phase."""
    D, x = tiny
    fake = torch.randn_like(x)
    G = lambda z, c=None: z  # noqa: E731  (identity "generator": fakes = z)
    regs = resolve_regs([RegConfig("r2", 3.0, 4), RegConfig("lecam", 0.5, 0)])
    obj = GANObjective(get_adversarial_loss("nonsaturating"), regs=regs, state={"lecam": LeCamAnchors().double()})
    phase = Phase("Dreg", "D", ("reg",), 4)
    assert [r.name for r in obj.regs_of(phase)] == ["r2"]
    assert [r.name for r in obj.regs_of(Phase("Dboth", "D", ("main", "reg"), 1))] == ["lecam"]
    out = obj.compute(phase, G, D, x, None, fake, None, torch.zeros([]))
    f = fake.clone().requires_grad_(True)
    expected = r2_penalty(f, D(f)).mean() * 1.5 * 4
    torch.testing.assert_close(out.loss, expected)
    torch.testing.assert_close(out.stats["Loss/r2_penalty"], r2_penalty(f, D(f)).detach())
