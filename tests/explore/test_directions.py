"""SeFa and GANSpace directions: checked against torch.linalg.eigh and an SVD computed here, plus edits and files."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.explore.directions import (apply_direction, compute_directions, ganspace, load_directions,
                                         save_directions, sefa, sefa_matrix)
from ganforge.explore.latents import sample_ws
from ganforge.models import build_generator, model_config
from tests.inference.conftest import write_run


def _same_up_to_sign(a, b, atol=1e-4):
    """Rows of a equal rows of b up to a sign each."""
    signs = torch.sign((a * b).sum(dim=1, keepdim=True))
    return torch.allclose(a, signs * b, atol=atol)


def test_sefa_is_the_top_eigenvectors_of_AtA_for_the_chosen_affines(G):
    layers = [1, 2]  # b4.conv1 (ws 0) is left out; b8.conv0 / b8.conv1 read ws 1 and 2
    blocks = G.synthesis.b8
    A = torch.cat([blocks.conv0.affine.weight * blocks.conv0.affine.weight_gain,
                   blocks.conv1.affine.weight * blocks.conv1.affine.weight_gain])  # [S, w_dim]
    A = A / A.norm(dim=1, keepdim=True)
    evals, evecs = torch.linalg.eigh(A.T.double() @ A.double())
    vectors, values = sefa(G, layers, 4)
    assert torch.allclose(values.double(), evals.flip(0)[:4], rtol=1e-5)
    assert _same_up_to_sign(vectors.double(), evecs.flip(1)[:, :4].T)
    assert torch.allclose(vectors.norm(dim=1), torch.ones(4), atol=1e-5)
    # each direction maximises ||A n||^2 among unit vectors orthogonal to the earlier ones: A n has norm^2 = eigenvalue
    assert torch.allclose((A.double() @ vectors.T.double()).square().sum(0), values.double(), rtol=1e-4)
    assert torch.equal(sefa_matrix(G, layers), A.float())


def test_sefa_on_other_layers_differs_and_layers_without_affines_are_refused(G):
    coarse, _ = sefa(G, [0], 2)
    fine, _ = sefa(G, [3, 4], 2)
    assert not _same_up_to_sign(coarse, fine)
    with pytest.raises(ValueError, match="have no style affine weights"):
        sefa(G, [G.num_ws - 1], 2)  # the last w feeds only the final ToRGB, which SeFa leaves out


def test_stylegan1_style_weights_stack_adain_scale_and_bias():
    G = build_generator(model_config("stylegan1", img_resolution=8, z_dim=8, w_dim=8, mapping_layers=1,
                                     channel_base=64, channel_max=8))
    weights = dict(G.style_weights())
    assert sorted(weights) == list(range(G.num_ws))
    assert weights[0].shape == (2 * 8, 8)
    vectors, values = sefa(G, range(G.num_ws), 3)
    assert vectors.shape == (3, 8) and bool((values[:-1] >= values[1:]).all())


def test_ganspace_components_are_the_pca_of_the_sampled_ws(G):
    ws = sample_ws(G, 500, seed=3)
    comps, variances = ganspace(ws, 5)
    x = (ws - ws.mean(0)).double()
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    assert _same_up_to_sign(comps.double(), vh[:5])
    assert torch.allclose(variances.double(), s[:5] ** 2 / 499, rtol=1e-5)
    # the projections onto the components are uncorrelated, with those variances
    proj = x @ comps.T.double()
    cov = proj.T @ proj / 499
    assert torch.allclose(cov, torch.diag(variances.double()), atol=1e-4 * float(variances[0]))


def test_compute_directions_scales_and_edits_only_the_chosen_layers(G):
    d = compute_directions(G, "ganspace", [0, 1], 3, num_samples=400, seed=1)
    ws = sample_ws(G, 400, seed=1)
    assert torch.allclose(d.scales ** 2, d.values, rtol=1e-3)  # PCA: the std along a component is sqrt(variance)
    base = G.mapping(torch.randn(2, G.z_dim), None)
    moved = apply_direction(base, d, 1, 2.0)
    assert torch.equal(moved[:, 2:], base[:, 2:])
    assert torch.allclose(moved[:, :2] - base[:, :2], (2.0 * d.scales[1] * d.vectors[1]).expand(2, 2, -1), atol=1e-6)
    assert torch.allclose(((ws - ws.mean(0)) @ d.vectors.T).std(0), d.scales, rtol=1e-4)
    with pytest.raises(ValueError, match="direction 5 out of range"):
        apply_direction(base, d, 5, 1.0)
    with pytest.raises(ValueError, match="unknown direction method 'ica'"):
        compute_directions(G, "ica", [0], 2)
    with pytest.raises(ValueError, match=r"int in \[1, 16\]"):
        compute_directions(G, "sefa", [0], 17)


def test_directions_round_trip_through_npz(G, tmp_path):
    d = compute_directions(G, "sefa", [0, 1, 2], 4, num_samples=200)
    loaded = load_directions(save_directions(tmp_path / "d.npz", d), G)
    assert loaded.method == "sefa" and loaded.layers == (0, 1, 2)
    assert torch.equal(loaded.vectors, d.vectors) and torch.equal(loaded.scales, d.scales)


def test_directions_cli_writes_npz_and_figure(tmp_path, capsys):
    ckpt = write_run(tmp_path / "run", kimg=4)
    out = tmp_path / "out"
    assert main(["directions", "--network", str(ckpt), "--method", "sefa", "--layers", "coarse", "--num", "3",
                 "--steps", "5", "--num-samples", "200", "--outdir", str(out), "--device", "cpu"]) == 0
    figure = np.asarray(Image.open(out / "directions.png"))
    assert figure.shape == (3 * 16 + 2 * 2, 5 * 16 + 4 * 2, 3)  # rows = directions, columns = steps, 2 px gaps
    data = np.load(out / "directions.npz")
    assert data["directions"].shape == (3, 16) and str(data["method"]) == "sefa"
    tiles = [figure[r * 18:r * 18 + 16, c * 18:c * 18 + 16] for r in range(3) for c in range(5)]
    assert not np.array_equal(tiles[0], tiles[4])  # the steps change the image
    assert "3 sefa directions" in capsys.readouterr().out
    assert main(["directions", "--network", str(ckpt), "--layers", "0-40", "--outdir", str(out)]) == 2
    assert "out of range" in capsys.readouterr().err
