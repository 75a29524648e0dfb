import numpy as np
import pytest
import torch

from ganforge.explore.detect import reconstruction_metrics
from ganforge.explore.latents import ws_from_seeds
from ganforge.explore.noise_reg import init_noise_maps, noise_regularization, normalize_noise_, use_noise_maps
from ganforge.explore.npz import render_projected_w, save_projected_w
from ganforge.explore.project import learning_rate, project
from ganforge.explore.pti import pivotal_tuning


def _render(G, ws):
    with torch.no_grad():
        return G.synthesis(ws, noise_mode="const")


def test_projection_of_a_generated_image_reaches_high_psnr(G):
    ws = ws_from_seeds(G, [11, 12, 13, 14])
    target = _render(G, ws)
    res = project(G, target, space="w", steps=100, optimize_noise=False, num_w_samples=1000)
    psnr = np.array(reconstruction_metrics(target, res.images)["psnr"])
    start = np.array(reconstruction_metrics(target, _render(G, G.mapping.w_avg.expand(4, G.num_ws, -1)))["psnr"])
    # the mean-w image is ~12 dB away; an optimiser that does not move (or diverges) cannot pass this
    assert start.mean() < 14
    assert psnr.min() > 19 and psnr.mean() > 27 and (psnr - start).min() > 6, (psnr, start)
    assert res.ws.shape == (4, G.num_ws, G.w_dim) and torch.equal(res.ws[:, 0], res.ws[:, -1])
    assert res.distances.shape == (100, 4) and (res.distances[-1] < res.distances[0]).all()


def test_w_plus_fits_better_than_w(G):
    row, col = ws_from_seeds(G, [1, 2, 3, 4]), ws_from_seeds(G, [5, 6, 7, 8])
    mixed = row.clone()
    mixed[:, 3:] = col[:, 3:]  # not reachable with a single w
    target = _render(G, mixed)
    final = {space: project(G, target, space=space, steps=120, optimize_noise=False, num_w_samples=1000).distances[-1]
             for space in ("w", "w+")}
    assert final["w+"].mean() < 0.8 * final["w"].mean(), final


def test_noise_optimisation_runs_and_is_regularised(G):
    target = _render(G, ws_from_seeds(G, [3]))
    res = project(G, target, steps=20, num_w_samples=500)
    assert res.noise is not None and len(res.noise) == 5  # b4: 1 conv, b8 and b16: 2 each
    for m in res.noise.values():  # renormalised after every step
        assert abs(float(m.mean())) < 1e-4 and abs(float(m.std(unbiased=False)) - 1) < 1e-3
    with use_noise_maps(G, res.noise), torch.no_grad():
        again = G.synthesis(res.ws, noise_mode="const")
    assert torch.allclose(again, res.images, atol=1e-6)
    assert all(m.ndim == 2 for m in (G.synthesis.b8.conv0.noise_const, G.synthesis.b4.conv1.noise_const))  # restored


def test_noise_regularization_hand_cases():
    const = torch.ones(1, 1, 8, 8)  # autocorrelation 1 at the one pyramid level, x and y
    assert torch.allclose(noise_regularization([const]), torch.tensor([2.0]))
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None]) % 2 * 2.0 - 1  # neighbours anti-correlated: -1
    assert torch.allclose(noise_regularization([checker[None, None]]), torch.tensor([2.0]))
    stripes = (torch.arange(16)[None, :] % 2 * 2.0 - 1).expand(16, 16)[None, None]
    # level 16: x-corr -1, y-corr +1 -> 2; level 8 (2x2 average of stripes = 0): 0
    assert torch.allclose(noise_regularization([stripes]), torch.tensor([2.0]))
    white = init_noise_maps_like(64)
    assert float(noise_regularization([white])) < 1e-2
    maps = {"a": torch.randn(2, 1, 8, 8) * 3 + 1}
    normalize_noise_(maps)
    assert torch.allclose(maps["a"].mean(dim=(1, 2, 3)), torch.zeros(2), atol=1e-6)


def init_noise_maps_like(r):
    return torch.randn(1, 1, r, r, generator=torch.Generator().manual_seed(0))


def test_learning_rate_schedule():
    lrs = [learning_rate(s, 1000, 0.1, 0.25, 0.05) for s in range(1000)]
    assert lrs[0] == 0 and lrs[25] == pytest.approx(0.05) and lrs[50] == pytest.approx(0.1)
    assert lrs[500] == pytest.approx(0.1) and lrs[875] == pytest.approx(0.05) and lrs[999] < 1e-4


def test_projected_w_round_trip(G, tmp_path):
    ws = ws_from_seeds(G, [1, 2])
    noise = init_noise_maps(G, 2, generator=torch.Generator().manual_seed(1))
    path = save_projected_w(tmp_path / "projected_w.npz", ws, noise)
    with use_noise_maps(G, noise), torch.no_grad():
        expected = G.synthesis(ws, noise_mode="const")
    assert torch.equal(render_projected_w(G, path), expected)
    assert list(np.load(path)["w"].shape) == [2, G.num_ws, G.w_dim]
    with pytest.raises(ValueError, match="no such file"):
        render_projected_w(G, tmp_path / "nope.npz")


def test_pivotal_tuning_improves_the_fit_and_keeps_G(G):
    ws = ws_from_seeds(G, [21])
    target = (_render(G, ws).flip(-1) * 0.8).clamp(-1, 1)  # not in G's range at this w
    before = [p.clone() for p in G.parameters()]
    G_tuned, losses = pivotal_tuning(G, target, ws, steps=40, lr=3e-3, locality_weight=0.1)
    assert losses[-1] < 0.7 * losses[0]
    with torch.no_grad():
        err_tuned = (G_tuned.synthesis(ws, noise_mode="const") - target).square().mean()
        err_orig = (_render(G, ws) - target).square().mean()
    assert err_tuned < 0.5 * err_orig
    assert all(torch.equal(a, b) for a, b in zip(before, G.parameters()))
    assert not any(p.requires_grad for p in G_tuned.parameters())


def test_callback_sees_every_step_and_can_stop_the_projection(G):
    target = torch.zeros(1, 3, 16, 16, dtype=torch.uint8)
    seen = []
    res = project(G, target, steps=6, num_w_samples=100, callback=lambda step, d: seen.append((step, d.clone())))
    assert [s for s, _ in seen] == list(range(6))
    assert torch.equal(torch.stack([d for _, d in seen]), res.distances)

    def stop(step, d):
        if step == 2:
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        project(G, target, steps=6, num_w_samples=100, callback=stop)
