"""``rpgan`` (R3GAN's relativistic pairing loss) and its ``r1r2`` regulariser: hand-computed values, finite
differences, and how ``--loss rpgan`` resolves (R1 + R2 with one gamma, every D step)."""

from __future__ import annotations

import math

import pytest
import torch

from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.regularizers import RegContext, get_regularizer
from ganforge.train.config import TrainConfig
from ganforge.train.presets import resolve_config


def sp(x: float) -> float:
    return math.log1p(math.exp(x))


def test_rpgan_hand_computed_and_paired():
    loss = get_adversarial_loss("rpgan")
    r = torch.tensor([[1.0], [-2.0]])
    f = torch.tensor([[0.5], [1.0]])
    d_real, d_fake = loss.discriminator(r, f)
    # D: softplus(-(r_i - f_i)) = softplus(-0.5), softplus(3)
    assert (d_real + d_fake).tolist() == pytest.approx([sp(-0.5), sp(3.0)], rel=1e-6)
    # G: softplus(-(f_i - r_i)) = softplus(0.5), softplus(-3)
    assert loss.generator(f, r).tolist() == pytest.approx([sp(0.5), sp(-3.0)], rel=1e-6)
    assert loss.needs_real_for_g
    with pytest.raises(ValueError, match="pairs reals and fakes one to one"):
        loss.discriminator(r, f[:1])
    # pairing, not averaging: permuting the fakes changes D's loss (the relativistic *average* loss would not change
    # its mean over a batch this way)
    assert not torch.allclose(sum(loss.discriminator(r, f.flip(0))), d_real + d_fake)


def _finite_diff_grad_sq(fn, x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """``||d fn(x_i) / d x_i||^2`` per sample by central differences (float64)."""
    out = torch.zeros(x.shape[0], dtype=torch.float64)
    flat = x.reshape(x.shape[0], -1)
    for j in range(flat.shape[1]):
        step = torch.zeros_like(flat)
        step[:, j] = eps
        hi = fn((flat + step).reshape(x.shape)).reshape(-1)
        lo = fn((flat - step).reshape(x.shape)).reshape(-1)
        out += ((hi - lo) / (2 * eps)) ** 2
    return out


def test_r1r2_equals_finite_differences_on_a_tiny_d():
    torch.manual_seed(0)
    w = torch.randn(12, dtype=torch.float64)

    def D(img, c=None):  # a smooth per-sample D: tanh(<w, x>) + sum(x^3) / 10
        flat = img.reshape(img.shape[0], -1)
        return (torch.tanh(flat @ w) + (flat**3).sum(1) / 10)[:, None]

    real = torch.randn(3, 3, 2, 2, dtype=torch.float64)
    fake = torch.randn(3, 3, 2, 2, dtype=torch.float64)
    ctx = RegContext(run_G=lambda z, c: (fake, None), run_D=D, real_img=real, real_c=None, gen_z=torch.zeros(3, 1),
                     gen_c=None, pl_mean=torch.zeros([]))
    reg = get_regularizer("r1r2")
    penalty = reg.penalty(ctx)
    expected = _finite_diff_grad_sq(D, real) + _finite_diff_grad_sq(D, fake)
    assert penalty.detach().tolist() == pytest.approx(expected.tolist(), rel=1e-5)
    assert (reg.module, reg.scale, reg.default_interval) == ("D", 0.5, 0)  # gamma / 2 * (R1 + R2), every D step


def _regs(**flat) -> list[tuple[str, float, int]]:
    cfg = resolve_config(TrainConfig.from_flat(**flat), resolution=32, img_channels=3, c_dim=0)
    return [(r.name, r.weight, r.interval) for r in cfg.loss.regs]


def test_loss_rpgan_resolves_to_r1_plus_r2_every_step():
    auto = 0.0002 * 32**2 / 32  # the auto gamma of R1, for the same penalty scale
    assert _regs(cfg="auto", loss="rpgan") == [("r1r2", pytest.approx(auto), 0), ("pl", 2.0, 4)]
    assert _regs(cfg="paper256", loss="rpgan")[0] == ("r1r2", 1.0, 0)  # the preset's gamma
    assert _regs(cfg="dcgan", model_name="dcgan", loss="rpgan")[0][0] == "r1r2"  # any family
    assert _regs(cfg="auto")[0][0] == "r1"  # other losses keep R1


def test_gamma_flag_weights_r1_plus_r2(tmp_path, capsys):
    import json

    from ganforge.cli.main import main
    from tests.train.test_loop import make_folder_dataset

    data = make_folder_dataset(tmp_path / "data")
    assert main(["train", "--data", str(data), "--loss", "rpgan", "--gamma", "0.05", "--dry-run"]) == 0
    regs = json.loads(capsys.readouterr().out)["loss"]["regs"]
    assert regs[0] == {"name": "r1r2", "weight": 0.05, "interval": 0} and "r1" not in [r["name"] for r in regs]


def test_rpgan_trains_a_dcgan_and_reports_both_penalties(tmp_path):
    from ganforge.models import model_config
    from ganforge.train.loop import train
    from tests.train.test_loop import make_folder_dataset, tiny_config

    data = make_folder_dataset(tmp_path / "data")
    model = model_config("dcgan", img_resolution=16, z_dim=16, channel_base=256, channel_max=16)
    result = train(tiny_config(data, tmp_path / "runs", model=model.to_dict(), loss="rpgan", r1_gamma=0.1,
                               r1_interval=None, pl_interval=None))
    stats = result.stats
    assert math.isfinite(stats["Loss/D/loss"]) and stats["Loss/r1_penalty"] >= 0 and stats["Loss/r2_penalty"] >= 0
    assert "loss rpgan; regularisers: r1r2 0.1 every step" in (result.run_dir / "log.txt").read_text()
