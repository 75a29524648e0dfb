"""The loss zoo on hand-computed logits: values, gradient signs, LSGAN targets, relativistic pairing, the interface."""

import math

import pytest
import torch

from ganforge.losses import ADVERSARIAL_LOSSES, get_adversarial_loss
from ganforge.losses.adversarial import AdversarialLoss, lsgan_losses

R = torch.tensor([[2.0], [-1.0]], dtype=torch.float64)  # real logits
F = torch.tensor([[0.5], [-3.0]], dtype=torch.float64)  # fake logits
sp = lambda x: math.log1p(math.exp(x))  # softplus  # noqa: E731


def _values(name):
    loss = get_adversarial_loss(name)
    d_real, d_fake = loss.discriminator(R, F)
    return loss.generator(F, R).tolist(), d_real.tolist(), d_fake.tolist()


@pytest.mark.parametrize("name,g,d_real,d_fake", [
    ("nonsaturating", [sp(-0.5), sp(3.0)], [sp(-2.0), sp(1.0)], [sp(0.5), sp(-3.0)]),
    ("minimax", [-sp(0.5), -sp(-3.0)], [sp(-2.0), sp(1.0)], [sp(0.5), sp(-3.0)]),
    ("wgan", [-0.5, 3.0], [-2.0, 1.0], [0.5, -3.0]),
    ("wgan-gp", [-0.5, 3.0], [-2.0, 1.0], [0.5, -3.0]),
    ("hinge", [-0.5, 3.0], [0.0, 2.0], [1.5, 0.0]),
    ("lsgan", [0.125, 8.0], [0.5, 2.0], [0.125, 4.5]),  # a=0, b=1, c=1: (f-1)^2/2, (r-1)^2/2, f^2/2
    ("lsgan-sym", [0.125, 4.5], [0.5, 2.0], [1.125, 2.0]),  # a=-1, b=1, c=0
    # relativistic average: mean(F) = -1.25, mean(R) = 0.5
    ("relativistic", [sp(2.0 + 1.25) + sp(-(0.5 - 0.5)), sp(-1.0 + 1.25) + sp(-(-3.0 - 0.5))],
     [sp(-(2.0 + 1.25)), sp(-(-1.0 + 1.25))], [sp(0.5 - 0.5), sp(-3.0 - 0.5)]),
])
def test_hand_computed(name, g, d_real, d_fake):
    got_g, got_r, got_f = _values(name)
    assert got_g == pytest.approx(g, abs=1e-12)
    assert got_r == pytest.approx(d_real, abs=1e-12)
    assert got_f == pytest.approx(d_fake, abs=1e-12)


@pytest.mark.parametrize("name", ADVERSARIAL_LOSSES.names())
def test_gradient_signs(name):
    """Descending D's loss raises real logits and lowers fake ones; descending G's loss raises fake logits."""
    loss = get_adversarial_loss(name)
    # logits inside the loss's active region (LSGAN: fakes between D's target a and G's target c)
    fakes = {"lsgan": [0.2, 0.6], "lsgan-sym": [-0.6, -0.2]}.get(name, [-0.4, 0.1])
    r = torch.tensor([[0.3], [-0.2]], dtype=torch.float64, requires_grad=True)
    f = torch.tensor(fakes, dtype=torch.float64).reshape(2, 1).requires_grad_(True)
    d_real, d_fake = loss.discriminator(r, f)
    gr, gf = torch.autograd.grad((d_real + d_fake).sum(), [r, f])
    assert (gr < 0).all() and (gf > 0).all()
    f2 = f.detach().requires_grad_(True)
    (gg,) = torch.autograd.grad(loss.generator(f2, r.detach()).sum(), [f2])
    assert (gg < 0).all()


def test_lsgan_targets_are_minima():
    g, d_real, d_fake = lsgan_losses(a=-1.0, b=1.0, c=0.5)
    assert g(torch.tensor([0.5])).item() == 0 and d_real(torch.tensor([1.0])).item() == 0
    assert d_fake(torch.tensor([-1.0])).item() == 0 and d_fake(torch.tensor([1.0])).item() == 2.0


def test_relativistic_needs_both_and_couples_the_batch():
    loss = get_adversarial_loss("relativistic")
    assert loss.needs_real_for_g and not get_adversarial_loss("hinge").needs_real_for_g
    with pytest.raises(ValueError, match="real_logits"):
        loss.generator(F)
    d_real, _ = loss.discriminator(R, F)
    d_real2, _ = loss.discriminator(R, F + 1.0)  # fakes look more real -> reals are relatively less real
    assert (d_real2 > d_real).all()


def test_interface_checks_and_metadata():
    with pytest.raises(ValueError, match="g_loss"):
        AdversarialLoss("broken", d_real_loss=abs, d_fake_loss=abs)
    with pytest.raises(ValueError, match="weight_clip"):
        AdversarialLoss("broken", g_loss=abs, d_real_loss=abs, d_fake_loss=abs, weight_clip=0.0)
    assert get_adversarial_loss("wgan").weight_clip == 0.01
    assert get_adversarial_loss("wgan-gp").implied_reg == "wgan_gp"
    assert get_adversarial_loss("lsgan").threshold == 0.5
