"""EMA decay by half-life in images, and the in-place G_ema update."""

import copy

import pytest
import torch

from ganforge.models import build_generator, model_config
from ganforge.train.ema import ema_beta, update_ema


def test_ema_beta_hand_computed():
    # Ramp-up: min(5000, 1000 * 0.05) = 50 images of half-life.
    assert ema_beta(16, 5.0, 0.05, 1000) == pytest.approx(0.5 ** (16 / 50))
    # Late in training the ramp-up no longer binds: min(5000, 10**6 * 0.05) = 5000.
    assert ema_beta(16, 5.0, 0.05, 1_000_000) == pytest.approx(0.5 ** (16 / 5000))
    assert ema_beta(16, 5.0, None, 0) == pytest.approx(0.5 ** (16 / 5000))
    assert ema_beta(32, 10.0, None, 0) == pytest.approx(0.99778438, abs=1e-8)  # StyleGAN2's 0.5 ** (32 / 10000)


def test_ema_beta_copies_at_start_of_rampup_and_zero_half_life():
    assert ema_beta(16, 5.0, 0.05, 0) == 0.0
    assert ema_beta(16, 0.0, None, 12345) == 0.0


def test_ema_beta_rejects_bad_arguments():
    for args in [(0, 5.0, None, 0), (16, -1.0, None, 0), (16, 5.0, -0.1, 0), (16, 5.0, None, -1)]:
        with pytest.raises(ValueError):
            ema_beta(*args)


def test_half_life():
    # After ema_nimg / batch_size updates toward a constant target, the distance halves (ema_kimg = 1, batch 10: 100 updates).
    G = torch.nn.Linear(3, 2).double()
    G_ema = copy.deepcopy(G)
    with torch.no_grad():
        for p in G.parameters():
            p.fill_(0.0)
        for p in G_ema.parameters():
            p.fill_(1.0)
    beta = ema_beta(10, 1.0, None, 0)
    for step in range(1, 201):
        update_ema(G_ema, G, beta)
        if step in (100, 200):
            for p in G_ema.parameters():
                torch.testing.assert_close(p, torch.full_like(p, 0.5 ** (step // 100)))


def test_update_ema_hand_computed_and_extremes():
    G, G_ema = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        G.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
        G_ema.weight.copy_(torch.tensor([5.0, 6.0, 7.0]))
        G.running_mean.copy_(torch.tensor([0.1, 0.2, 0.3]))
    update_ema(G_ema, G, 0.25)
    torch.testing.assert_close(G_ema.weight, torch.tensor([2.0, 3.0, 4.0]))  # 0.25 * ema + 0.75 * p
    torch.testing.assert_close(G_ema.running_mean, G.running_mean)  # buffers are copied

    before = copy.deepcopy(G_ema.state_dict())
    with torch.no_grad():
        G.weight.mul_(3)
        G.running_mean.add_(1)
    update_ema(G_ema, G, 1.0)  # keeps the parameters, still copies the buffers
    assert torch.equal(G_ema.weight, before["weight"]) and torch.equal(G_ema.running_mean, G.running_mean)
    update_ema(G_ema, G, 0.0)  # exact copy
    assert torch.equal(G_ema.weight, G.weight) and torch.equal(G_ema.bias, G.bias)


def test_update_ema_on_stylegan2_generator():
    cfg = model_config("stylegan2", img_resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8)
    G = build_generator(cfg)
    G_ema = copy.deepcopy(G).eval().requires_grad_(False)
    with torch.no_grad():
        for p in G.parameters():
            p.add_(torch.randn_like(p))
        G.mapping.w_avg.add_(1.0)
    update_ema(G_ema, G, 0.0)
    ema_state, state = G_ema.state_dict(), G.state_dict()
    assert ema_state.keys() == state.keys()
    assert all(torch.equal(ema_state[k], state[k]) for k in state)
    assert all(p.grad is None for p in G.parameters())  # no autograd graph was touched


def test_update_ema_rejects_mismatches():
    with pytest.raises(ValueError, match="beta"):
        update_ema(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), 1.5)
    with pytest.raises(ValueError, match="missing"):
        update_ema(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.Linear(2, 2)), 0.5)
    with pytest.raises(ValueError, match="shape"):
        update_ema(torch.nn.Linear(2, 2), torch.nn.Linear(3, 2), 0.5)
