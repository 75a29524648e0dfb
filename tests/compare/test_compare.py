"""``ganforge compare``: the grid, the per-run configs, Pillow plots, and a tiny grid end to end (train, resume,
report, divergence record, CLI)."""

import json

import numpy as np
import pytest

from ganforge.cli.main import main
from ganforge.compare import CompareConfig, RunSpec, expand, from_preset, run_grid, train_config, write_report
from ganforge.compare.plots import labelled_row, line_plot
from ganforge.losses.objective import GANObjective
from tests.train.test_loop import make_folder_dataset


def test_grid_product_extra_and_names():
    cc = CompareConfig(models=("dcgan", "dcgan-csp"), losses=("hinge", "wgan"), regs=("none",),
                       extra_losses=("hinge",), extra_regs=("r1:0.5:16", "lecam"))
    specs = expand(cc)
    assert len(specs) == 4 + 4 and specs[0] == RunSpec("dcgan", "hinge", "none")
    assert RunSpec("dcgan-csp", "hinge", "r1:0.5:16").name == "dcgan-csp_hinge_r1-0.5-16"
    assert len({s.name for s in specs}) == len(specs)
    assert len(expand(from_preset("assignment"))) == 10
    with pytest.raises(ValueError, match="unknown model"):
        CompareConfig(models=("nope",))
    with pytest.raises(ValueError):
        CompareConfig(regs=("r1:x",))


def test_train_config_maps_regularisers():
    cc = CompareConfig(data="d.zip", outdir="out", kimg=3.0)
    cfg = train_config(cc, RunSpec("dcgan-resnet", "wgan-gp", "r1:0.5:8"))
    assert (cfg.model_name, cfg.loss.adversarial, cfg.r1_gamma, cfg.r1_interval, cfg.regs) == ("dcgan-resnet", "wgan-gp",
                                                                                            0.5, 8, ())
    assert cfg.outdir == "out/dcgan-resnet_wgan-gp_r1-0.5-8" and cfg.kimg == 3.0
    cfg = train_config(cc, RunSpec("dcgan", "hinge", "lecam:0.2"))
    assert cfg.r1_gamma == 0.0 and [(r.name, r.weight) for r in cfg.regs] == [("lecam", 0.2)]


def test_line_plot_and_labelled_row():
    img = line_plot({"a": ([0, 1, 2], [1.0, float("nan"), 3.0]), "b": ([0, 2], [2.0, 2.0])}, title="t", xlabel="kimg")
    assert img.shape == (420, 720, 3) and img.dtype == np.uint8
    colors = {tuple(c) for c in img.reshape(-1, 3)}
    assert (31, 119, 180) in colors and (255, 127, 14) in colors  # both series drawn in their palette colours
    empty = line_plot({}, title="t", xlabel="x")
    assert empty.shape == (420, 720, 3)
    row = labelled_row([("x", np.zeros([8, 8, 3], np.uint8)), ("y", np.full([8, 8, 3], 255, np.uint8))] * 3,
                       max_per_row=4)
    assert row.shape[1] == 4 * (8 + 6) + 6 and row.shape[0] == 2 * (8 + 14 + 6) + 6


@pytest.fixture
def tiny_grid(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    return CompareConfig(data=str(data), outdir=str(tmp_path / "cmp"), models=("dcgan", "dcgan-csp"),
                         losses=("hinge",), regs=("none", "lecam:0.1"), kimg=0.016, batch=4, channel_base=64,
                         channel_max=8, tick_kimg=0.008, curve_metric="swd16", metric_ticks=1, final_metrics=(),
                         progress=False)


def test_tiny_grid_end_to_end_resumes_and_reports(tiny_grid, tmp_path):
    records = run_grid(tiny_grid, only=["dcgan_hinge_none", "dcgan-csp_hinge_lecam-0.1"], log=lambda s: None)
    assert [r["name"] for r in records] == ["dcgan_hinge_none", "dcgan-csp_hinge_lecam-0.1"]
    for r in records:
        assert r["status"] == "ok" and r["kimg"] == pytest.approx(0.016) and r["sec_per_kimg"] > 0
        assert "swd16" in r["metrics"] and "Diag/diversity" in r["final"]
    first = (tmp_path / "cmp" / "dcgan_hinge_none" / "result.json").stat().st_mtime_ns
    again = run_grid(tiny_grid, only=["dcgan_hinge_none"], log=lambda s: None)  # done: not retrained
    assert again[0] == records[0]
    assert (tmp_path / "cmp" / "dcgan_hinge_none" / "result.json").stat().st_mtime_ns == first
    report = write_report(tiny_grid, records)
    text = report.read_text()
    assert "| `dcgan_hinge_none` | ok | 0.0 |" in text and "dcgan-csp" in text and "G parameters" in text and "| dcgan-csp | 1 |" in text
    for name in ("loss_G.png", "loss_D.png", "d_acc_real.png", "diversity.png", "metric_swd16.png", "samples.png"):
        assert (tmp_path / "cmp" / "report" / name).is_file(), name
        assert f"report/{name}" in text


def test_diverged_run_is_recorded(tiny_grid, monkeypatch):
    compute = GANObjective.compute

    def nan_loss(self, *args, **kwargs):
        out = compute(self, *args, **kwargs)
        out.stats["Loss/D/loss" if "Loss/D/loss" in out.stats else "Loss/G/loss"] = out.loss.detach() * float("nan")
        return out

    monkeypatch.setattr(GANObjective, "compute", nan_loss)
    (record,) = run_grid(tiny_grid.replace(curve_metric=None), only=["dcgan_hinge_none"], log=lambda s: None)
    assert record["status"] == "diverged" and "is nan" in record["message"] and record["checkpoint"] is None


def test_cli_dry_run_and_report_only_errors(tmp_path, capsys):
    assert main(["compare", "--preset", "assignment", "--outdir", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dcgan-csp_wgan-gp_none" in out and "10 runs" in out
    assert main(["compare", "--preset", "assignment", "--outdir", str(tmp_path / "empty"), "--report-only"]) == 2
    assert "no finished runs" in capsys.readouterr().err
    saved = tmp_path / "compare.json"
    saved.write_text(json.dumps(CompareConfig(models=("dcgan",), losses=("lsgan",)).to_dict()))
    assert main(["compare", "--config", str(saved), "--dry-run"]) == 0
    assert "dcgan_lsgan_none" in capsys.readouterr().out


@pytest.mark.slow
def test_one_run_per_device_in_subprocesses(tiny_grid):
    """``devices``: each run in its own ``ganforge compare --only`` subprocess; same records as in-process."""
    cc = tiny_grid.replace(curve_metric=None)
    records = run_grid(cc, only=["dcgan_hinge_none", "dcgan-csp_hinge_none"], devices=["cpu", "cpu"],
                       log=lambda s: None)
    assert [(r["name"], r["status"]) for r in records] == [("dcgan_hinge_none", "ok"), ("dcgan-csp_hinge_none", "ok")]
    assert all(r["kimg"] == pytest.approx(0.016) for r in records)
