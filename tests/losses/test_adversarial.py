"""Adversarial losses: hand-computed values, the naive sigmoid/log formulas, stability, registry contract."""

import math

import pytest
import torch

from ganforge.losses import ADVERSARIAL_LOSSES, AdversarialLoss, get_adversarial_loss

LOG2 = math.log(2.0)


def _naive(name: str, term: str, x: torch.Tensor) -> torch.Tensor:
    """The probability-form definitions, computed literally with sigmoid and log."""
    s = torch.sigmoid(x)
    if term == "d_real_loss":
        return -torch.log(s)
    if term == "d_fake_loss":
        return -torch.log(1 - s)
    return -torch.log(s) if name == "nonsaturating" else torch.log(1 - s)


def test_registered_names():
    assert {"nonsaturating", "minimax"} <= set(ADVERSARIAL_LOSSES.names())
    loss = get_adversarial_loss("nonsaturating")
    assert isinstance(loss, AdversarialLoss) and loss.name == "nonsaturating"
    with pytest.raises(ValueError, match="nonsaturating"):  # the error lists the known names
        get_adversarial_loss("no-such-loss")


def test_hand_computed_values():
    zero = torch.zeros(3, 1, dtype=torch.float64)
    ns, mm = get_adversarial_loss("nonsaturating"), get_adversarial_loss("minimax")
    # sigmoid(0) = 1/2: every logistic term is log 2.
    for fn in (ns.g_loss, ns.d_real_loss, ns.d_fake_loss, mm.d_real_loss, mm.d_fake_loss):
        torch.testing.assert_close(fn(zero), torch.full([3], LOG2, dtype=torch.float64))
    torch.testing.assert_close(mm.g_loss(zero), torch.full([3], -LOG2, dtype=torch.float64))
    # Logit 2: -log(sigmoid(2)) = log(1 + e^-2); -log(1 - sigmoid(2)) = log(1 + e^2).
    two = torch.tensor([[2.0]], dtype=torch.float64)
    assert ns.g_loss(two).item() == pytest.approx(0.1269280110429725, abs=1e-15)
    assert ns.d_fake_loss(two).item() == pytest.approx(2.1269280110429727, abs=1e-15)
    assert mm.g_loss(two).item() == pytest.approx(-2.1269280110429727, abs=1e-15)


@pytest.mark.parametrize("name", ["nonsaturating", "minimax"])
@pytest.mark.parametrize("term", ["g_loss", "d_real_loss", "d_fake_loss"])
def test_matches_naive_formula(name, term):
    x = torch.linspace(-8, 8, 33, dtype=torch.float64).reshape(-1, 1)
    got = getattr(get_adversarial_loss(name), term)(x)
    torch.testing.assert_close(got, _naive(name, term, x[:, 0]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["nonsaturating", "minimax"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_stable_at_extreme_logits(name, dtype):
    loss = get_adversarial_loss(name)
    x = torch.tensor([[-100.0], [100.0]], dtype=dtype, requires_grad=True)
    for term in (loss.g_loss, loss.d_real_loss, loss.d_fake_loss):
        out = term(x)
        (grad,) = torch.autograd.grad(out.sum(), x)
        assert torch.isfinite(out).all() and torch.isfinite(grad).all()
    # The asymptotes: -log(sigmoid(-100)) = 100 (+ e^-100), -log(sigmoid(100)) = e^-100 ~ 0.
    torch.testing.assert_close(loss.d_real_loss(x.detach()), torch.tensor([100.0, 0.0], dtype=dtype))
    torch.testing.assert_close(loss.d_fake_loss(x.detach()), torch.tensor([0.0, 100.0], dtype=dtype))


def test_nonsaturating_vs_minimax_gradient_when_d_rejects_fakes():
    # Goodfellow et al. 2014: with D confident (fake logit -10) the minimax G gradient vanishes,
    # the non-saturating one does not.
    x = torch.tensor([[-10.0]], dtype=torch.float64, requires_grad=True)
    (g_ns,) = torch.autograd.grad(get_adversarial_loss("nonsaturating").g_loss(x).sum(), x)
    (g_mm,) = torch.autograd.grad(get_adversarial_loss("minimax").g_loss(x).sum(), x)
    assert g_ns.item() == pytest.approx(-torch.sigmoid(torch.tensor(10.0, dtype=torch.float64)).item())
    assert abs(g_mm.item()) == pytest.approx(math.exp(-10) / (1 + math.exp(-10)))
    assert abs(g_mm.item()) < 1e-4 < abs(g_ns.item())


@pytest.mark.parametrize("name", ADVERSARIAL_LOSSES.names())
def test_contract_shapes_and_per_sample(name):
    """Every registered loss maps [N, 1] (or [N]) logits to an [N] loss, one sample at a time."""
    loss = get_adversarial_loss(name)
    x = torch.randn(5, 1, dtype=torch.float64)
    terms = [t for t in (loss.g_loss, loss.d_real_loss, loss.d_fake_loss) if t is not None]
    if not terms:  # paired-only (relativistic): tested in test_loss_zoo.py
        assert loss.g_pair_loss is not None and loss.d_pair_loss is not None
    for term in terms:
        out = term(x)
        assert out.shape == (5,) and out.dtype == torch.float64
        torch.testing.assert_close(term(x[:, 0]), out)
        y = x.clone()
        y[2] += 3.0
        changed = term(y) != out
        assert changed.tolist() == [False, False, True, False, False]
        with pytest.raises(ValueError, match="shape"):
            term(torch.zeros(5, 2))
