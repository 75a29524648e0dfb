"""R1 and path length penalties against hand-computed cases and finite differences on tiny networks."""

import math

import pytest
import torch

from ganforge.losses import path_length_penalty, r1_penalty
from ganforge.models import build_discriminator, build_generator, model_config


def _tiny_d() -> torch.nn.Module:
    # No minibatch-stddev layer (mbstd_num_channels=0): it mixes samples, and R1 is then not per-sample.
    cfg = model_config("stylegan2", img_resolution=8, channel_base=64, channel_max=8, mbstd_num_channels=0)
    return build_discriminator(cfg).double()


def _tiny_g() -> torch.nn.Module:
    cfg = model_config("stylegan2", img_resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8)
    return build_generator(cfg)


# ---------------------------------------------------------------------------------------------- R1


def test_r1_hand_computed():
    a = torch.arange(12, dtype=torch.float64).reshape(1, 3, 2, 2)
    img = torch.randn(4, 3, 2, 2, dtype=torch.float64, requires_grad=True)
    # Linear D: the input gradient is `a` for every sample, so R1 = ||a||^2 = sum(k^2, k < 12) = 506.
    torch.testing.assert_close(r1_penalty(img, (img * a).sum(dim=[1, 2, 3]).unsqueeze(1)),
                               torch.full([4], 506.0, dtype=torch.float64))
    # Quadratic D: logit = sum(x^2), gradient 2x, R1 = 4 ||x||^2.
    torch.testing.assert_close(r1_penalty(img, img.square().flatten(1).sum(1, keepdim=True)),
                               4 * img.detach().square().flatten(1).sum(1))


def test_r1_errors():
    img = torch.randn(2, 3, 2, 2)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(img, img.sum(dim=[1, 2, 3]).unsqueeze(1))
    img.requires_grad_(True)
    with pytest.raises(ValueError, match="depend"):
        r1_penalty(img, img.detach().sum(dim=[1, 2, 3]).unsqueeze(1))
    with pytest.raises(ValueError, match="batch size"):
        r1_penalty(img, torch.zeros(3, 1))


def test_r1_matches_finite_differences_on_stylegan2_d():
    D = _tiny_d()
    img = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    penalty = r1_penalty(img, D(img))
    assert penalty.shape == (2,)
    # Central differences of D(x_i) along every input coordinate, all in one batch: [N * 2 * K, C, H, W].
    eps, k = 1e-6, img[0].numel()
    basis = torch.eye(k, dtype=torch.float64).reshape(k, 3, 8, 8) * eps
    with torch.no_grad():
        probes = torch.cat([torch.cat([x + basis, x - basis]) for x in img.detach()])
        logits = D(probes)[:, 0].reshape(2, 2, k)
    fd_grad = (logits[:, 0] - logits[:, 1]) / (2 * eps)  # [N, K]
    torch.testing.assert_close(penalty.detach(), fd_grad.square().sum(1), rtol=1e-6, atol=0)


def test_r1_is_per_sample():
    D = _tiny_d()
    img = torch.randn(3, 3, 8, 8, dtype=torch.float64)
    x = img.clone().requires_grad_(True)
    batch = r1_penalty(x, D(x))
    single = torch.stack([r1_penalty(xi, D(xi)) for xi in img[:, None].clone().requires_grad_(True)])[:, 0]
    torch.testing.assert_close(batch, single)
    img[1] += 1.0
    x = img.clone().requires_grad_(True)
    moved = r1_penalty(x, D(x))
    torch.testing.assert_close(moved[[0, 2]], batch[[0, 2]], rtol=1e-12, atol=0)
    assert not torch.isclose(moved[1], batch[1], rtol=1e-3)


def test_r1_gradient_into_d_parameters_matches_finite_differences():
    D = _tiny_d()
    img = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    probes = [("b8.conv0.weight", (1, 2, 1, 1)), ("b8.fromrgb.weight", (0, 1, 0, 0)), ("b4.fc.weight", (3, 17)),
              ("b4.out.weight", (0, 5)), ("b4.conv.bias", (2,))]
    params = dict(D.named_parameters())

    def penalty_sum() -> torch.Tensor:
        x = img.clone().requires_grad_(True)
        return r1_penalty(x, D(x)).sum()

    D.zero_grad()
    penalty_sum().backward()
    eps = 1e-6
    for name, index in probes:
        p = params[name]
        analytic = p.grad[index].item()
        with torch.no_grad():
            p[index] += eps
        plus = penalty_sum().item()
        with torch.no_grad():
            p[index] -= 2 * eps
        minus = penalty_sum().item()
        with torch.no_grad():
            p[index] += eps
        assert analytic == pytest.approx((plus - minus) / (2 * eps), rel=1e-5, abs=1e-9), name
    assert any(p.grad.abs().max() > 0 for p in D.parameters() if p.grad is not None)


# ------------------------------------------------------------------------------------- path length


def _toy_synthesis(ws: torch.Tensor) -> torch.Tensor:
    """img[n, 0] = [[w0, w1], [2 w0, 0]] with ws [N, num_ws=2, w_dim=1]: J^T y = (y00 + 2 y10, y01)."""
    w0, w1 = ws[:, 0, 0], ws[:, 1, 0]
    return torch.stack([torch.stack([w0, w1], 1), torch.stack([2 * w0, torch.zeros_like(w0)], 1)], 1)[:, None]


def test_path_length_hand_computed():
    ws = torch.randn(3, 2, 1, dtype=torch.float64, requires_grad=True)
    img = _toy_synthesis(ws)
    noise = torch.ones_like(img)  # y = 1 / sqrt(2 * 2) = 1/2 everywhere: J^T y = (1.5, 0.5)
    penalty, pl_mean, lengths = path_length_penalty(img, ws, torch.tensor(0.0, dtype=torch.float64), noise=noise)
    length = math.sqrt((1.5**2 + 0.5**2) / 2)  # mean over num_ws of the squared norm over w_dim
    torch.testing.assert_close(lengths, torch.full([3], length, dtype=torch.float64))
    assert pl_mean.item() == pytest.approx(0.01 * length)  # 0 + 0.01 * (mean - 0)
    torch.testing.assert_close(penalty, torch.full([3], (0.99 * length) ** 2, dtype=torch.float64))
    assert not pl_mean.requires_grad and not lengths.requires_grad

    # Running average from 2.0 with decay 0.1: 2 + 0.1 * (length - 2).
    _, pl_mean, _ = path_length_penalty(_toy_synthesis(ws), ws, torch.tensor(2.0, dtype=torch.float64), decay=0.1, noise=noise)
    assert pl_mean.item() == pytest.approx(2 + 0.1 * (length - 2))
    # All lengths equal to the (fixed-point) average: no penalty.
    penalty, pl_mean, _ = path_length_penalty(_toy_synthesis(ws), ws, torch.tensor(length, dtype=torch.float64), noise=noise)
    assert pl_mean.item() == pytest.approx(length)
    torch.testing.assert_close(penalty, torch.zeros(3, dtype=torch.float64), atol=1e-24, rtol=0)


def test_path_length_gradient_matches_finite_differences():
    # A smooth non-linear toy G in float64; the penalty's gradient wrt ws includes the path through
    # the updated average (lengths.mean()), so finite differences of the whole penalty check it.
    torch.manual_seed(1)
    mix = torch.randn(3, 2 * 3, 1 * 4 * 4, dtype=torch.float64)  # per-sample map: [num_ws * w_dim] -> [C * H * W]

    def synth(ws):  # [N, 2, 3] -> [N, 1, 4, 4]
        return torch.tanh(torch.einsum("nk,nkp->np", ws.flatten(1), mix)).reshape(-1, 1, 4, 4)

    ws0 = torch.randn(3, 2, 3, dtype=torch.float64)
    noise = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    pl_mean = torch.tensor(0.7, dtype=torch.float64)

    def total(ws):
        return path_length_penalty(synth(ws), ws, pl_mean, decay=0.3, noise=noise)[0].sum()

    ws = ws0.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(total(ws), ws)
    eps, fd = 1e-6, torch.zeros_like(ws0)
    for idx in range(ws0.numel()):
        delta = torch.zeros(ws0.numel(), dtype=torch.float64)
        delta[idx] = eps
        delta = delta.reshape(ws0.shape)
        fd.view(-1)[idx] = (total((ws0 + delta).requires_grad_(True)) - total((ws0 - delta).requires_grad_(True))) / (2 * eps)
    torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-9)


def test_path_length_on_stylegan2_synthesis():
    G = _tiny_g()
    num_ws, w_dim = G.num_ws, G.w_dim
    ws = torch.randn(2, num_ws, w_dim, requires_grad=True)
    img = G.synthesis(ws, noise_mode="const")
    noise = torch.randn_like(img)
    penalty, pl_mean, lengths = path_length_penalty(img, ws, torch.tensor(0.0), noise=noise)
    assert penalty.shape == lengths.shape == (2,) and pl_mean.shape == ()
    assert pl_mean.item() == pytest.approx(0.01 * lengths.mean().item())
    y = noise / math.sqrt(8 * 8)
    (jt_y,) = torch.autograd.grad((G.synthesis(ws, noise_mode="const") * y).sum(), ws)  # [N, num_ws, w_dim]
    torch.testing.assert_close(lengths, jt_y.square().sum(2).mean(1).sqrt())

    # J^T y against finite differences of f_i(ws_i) = sum(G(ws_i) * y_i), every coordinate in one
    # batch. The synthesis network computes in float32 whatever the input dtype (as the official one
    # does), so this runs in float32, and G is piecewise smooth (lrelu): a kink inside [w - h, w + h]
    # spoils the central difference of that coordinate, so each coordinate must match its central,
    # forward or backward difference (kinks on both sides within h are very unlikely). Float32
    # rounding and curvature leave up to ~0.9% of the largest entry (100 seeds tried); a wrong scale,
    # sum or mean in the penalty would be off by a factor.
    h, k = 1e-3, num_ws * w_dim
    basis = torch.eye(k).reshape(k, num_ws, w_dim) * h
    with torch.no_grad():
        probes = torch.cat([torch.cat([w[None], w + basis, w - basis]) for w in ws.detach()])  # [N * (2K + 1), ...]
        f = (G.synthesis(probes, noise_mode="const").double() * y.double().repeat_interleave(2 * k + 1, dim=0))
    f = f.flatten(1).sum(1).reshape(2, 2 * k + 1)
    f0, f_plus, f_minus = f[:, :1], f[:, 1:k + 1], f[:, k + 1:]
    estimates = torch.stack([(f_plus - f_minus) / (2 * h), (f_plus - f0) / h, (f0 - f_minus) / h])  # [3, N, K]
    error = (estimates - jt_y.double().reshape(1, 2, k)).abs().amin(0)
    assert error.max() < 1e-2 * jt_y.abs().max(), error.max()

    # Differentiable into all of G's parameters except the ToRGB biases, which are added to the
    # image and so do not change the Jacobian (no gradient at all).
    penalty.sum().backward()
    grads = {n: p.grad for n, p in G.synthesis.named_parameters()}
    for name, grad in grads.items():
        if name.endswith("torgb.bias"):
            assert grad is None, name
        else:
            assert grad is not None and torch.isfinite(grad).all() and grad.abs().max() > 0, name


def test_path_length_draws_noise_and_checks_inputs():
    ws = torch.randn(2, 2, 1, requires_grad=True)
    torch.manual_seed(5)
    a = path_length_penalty(_toy_synthesis(ws), ws, torch.tensor(0.0))
    torch.manual_seed(5)
    b = path_length_penalty(_toy_synthesis(ws), ws, torch.tensor(0.0), noise=torch.randn(2, 1, 2, 2))
    torch.testing.assert_close(a[2], b[2])  # default noise is randn_like(img)
    with pytest.raises(ValueError, match="requires_grad"):
        path_length_penalty(_toy_synthesis(ws.detach()), ws.detach(), torch.tensor(0.0))
    with pytest.raises(ValueError, match="noise"):
        path_length_penalty(_toy_synthesis(ws), ws, torch.tensor(0.0), noise=torch.randn(2, 1, 4, 4))
    with pytest.raises(ValueError, match="0-dim"):
        path_length_penalty(_toy_synthesis(ws), ws, torch.zeros(1))
    with pytest.raises(ValueError, match="ws"):
        path_length_penalty(_toy_synthesis(ws), ws[0], torch.tensor(0.0))
