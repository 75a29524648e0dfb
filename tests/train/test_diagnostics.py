"""Failure-mode diagnostics: diversity / duplicate rate, gradient norms, divergence detection and the stop that keeps
the last good checkpoint."""

import math

import pytest
import torch

from ganforge.losses.objective import GANObjective
from ganforge.models import model_config
from ganforge.train.checkpoint import find_checkpoints
from ganforge.train.config import TrainConfig
from ganforge.train.diagnostics import TrainingDiverged, batch_diversity, divergence, grad_norm, tick_diagnostics
from ganforge.train.loop import train
from tests.train.test_loop import make_folder_dataset


def test_batch_diversity_hand_computed():
    same = torch.zeros(4, 3, 8, 8)
    assert batch_diversity(same) == {"Diag/diversity": 0.0, "Diag/duplicate_rate": 1.0}
    x = torch.stack([torch.zeros(3, 8, 8), torch.full([3, 8, 8], 0.5), torch.full([3, 8, 8], 0.5)])
    d = batch_diversity(x)  # pairs: 0.5, 0.5, 0 (the two identical images)
    assert d["Diag/diversity"] == pytest.approx(1 / 3) and d["Diag/duplicate_rate"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="N >= 2"):
        batch_diversity(torch.zeros(1, 3, 8, 8))


def test_collapsed_generator_is_flagged():
    class Collapsed(torch.nn.Module):
        def forward(self, z, c=None, **kwargs):
            return torch.zeros(z.shape[0], 3, 8, 8) + 1e-4 * z[:, :1, None, None]

    d = tick_diagnostics(Collapsed(), torch.randn(16, 4), None)
    assert d["Diag/duplicate_rate"] == 1.0 and d["Diag/diversity"] < 1e-3


def test_grad_norm():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0, 0.0])
    assert grad_norm([a, b]).item() == pytest.approx(5.0)
    assert grad_norm([torch.nn.Parameter(torch.zeros(1))]).item() == 0.0
    b.grad[0] = float("nan")
    assert math.isnan(grad_norm([a, b]).item())


def test_divergence_reasons():
    assert divergence({"Loss/D/loss": 0.7, "Timing/sec_per_kimg": float("inf")}) is None
    assert "Loss/G/loss is nan" in divergence({"Loss/G/loss": float("nan")})
    assert "Grad/Dmain is inf" in divergence({"Grad/Dmain": float("inf")})
    assert "exceeds" in divergence({"Loss/D/loss": -3e6})
    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.bias.fill_(float("nan"))
    assert "D.bias" in divergence({}, {"D": lin})


def test_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    data = make_folder_dataset(tmp_path / "data")
    model = model_config("dcgan", img_resolution=16, z_dim=8, channel_base=64, channel_max=8)
    cfg = TrainConfig.from_flat(data=str(data), outdir=str(tmp_path / "runs"), model=model, batch=4, kimg=0.032, tick_kimg=0.008,
                      snapshot_ticks=1, grid_size=2, progress=False, tensorboard=False, device="cpu", num_threads=1,
                      keep_checkpoints=1)
    compute = GANObjective.compute
    calls = {"n": 0}

    def poisoned(self, *args, **kwargs):  # finite for the first tick (2 minibatches x 3 phases), NaN after
        out = compute(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] > 6:
            out.loss = out.loss * float("nan")
            out.stats["Loss/G/loss" if "Loss/G/loss" in out.stats else "Loss/D/loss"] *= float("nan")
        return out

    monkeypatch.setattr(GANObjective, "compute", poisoned)
    with pytest.raises(TrainingDiverged, match="diverged at 0.016 kimg.*is nan.*last good checkpoint") as info:
        train(cfg)
    run_dir = next((tmp_path / "runs").iterdir())
    assert [p.name for p in find_checkpoints(run_dir)] == ["network-snapshot-000000.safetensors"]
    assert info.value.last_checkpoint == find_checkpoints(run_dir)[0]
    assert "training diverged" in (run_dir / "log.txt").read_text()
    assert isinstance(info.value, ValueError)  # the CLI prints it as one line
