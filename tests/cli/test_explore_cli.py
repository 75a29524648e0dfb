"""Smoke tests of the explore subcommands on a tiny checkpoint (reusing tests/inference's helpers)."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.explore.video import read_video
from ganforge.inference import load
from tests.inference.conftest import write_run
from tests.conftest import single_thread


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return write_run(tmp_path_factory.mktemp("run"), kimg=4)


_one_thread = pytest.fixture(autouse=True)(single_thread)


def test_mix(ckpt, tmp_path, capsys):
    assert main(["mix", "--network", str(ckpt), "--rows", "85,100", "--cols", "55,821,3", "--styles", "coarse",
                 "--outdir", str(tmp_path), "--device", "cpu"]) == 0
    assert np.asarray(Image.open(tmp_path / "stylemix.png")).shape == (48, 64, 3)
    assert "styles [0, 1]" in capsys.readouterr().out
    assert main(["mix", "--network", str(ckpt), "--rows", "1", "--cols", "2", "--styles", "0-9", "--outdir",
                 str(tmp_path)]) == 2
    assert "out of range" in capsys.readouterr().err


def test_interpolate_gif_grid_and_frames(ckpt, tmp_path):
    assert main(["interpolate", "--network", str(ckpt), "--seeds", "0-3", "--grid", "2x1", "--frames", "3", "--loop",
                 "--out", "walk.gif", "--scale", "2", "--save-frames", "--outdir", str(tmp_path)]) == 0
    video = read_video(tmp_path / "walk.gif")
    assert video.shape == (6, 32, 64, 3)  # 2 seeds per walk, looped: 2 transitions x 3 frames
    assert len(list((tmp_path / "frames").glob("frame*.png"))) == 6


def test_interpolate_bad_split(ckpt, tmp_path, capsys):
    assert main(["interpolate", "--network", str(ckpt), "--seeds", "0-4", "--grid", "2x1", "--outdir", str(tmp_path)]) == 2
    assert "multiple of 2" in capsys.readouterr().err


def test_project_then_generate_projected_w(ckpt, tmp_path, capsys):
    net = load(ckpt)
    target = net.generate([7]).numpy()[0]
    Image.fromarray(target).save(tmp_path / "t.png")
    out = tmp_path / "proj"
    assert main(["project", "--network", str(ckpt), "--target", str(tmp_path / "t.png"), "--steps", "30",
                 "--pti", "--pti-steps", "5", "--save-video", "proj.gif", "--outdir", str(out)]) == 0
    for name in ("projected_w.npz", "proj_0000.png", "pti_0000.png", "compare.png", "report.json", "proj.gif",
                 "pti-generator.safetensors"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    assert set(report["summary"]) == {"projection", "pti"}
    assert report["distance"] == "pixel+ms-ssim+d-features"
    assert np.asarray(Image.open(out / "compare.png")).shape == (16, 16 * 3 + 4, 3)
    gen = tmp_path / "gen"
    assert main(["generate", "--network", str(ckpt), "--projected-w", str(out / "projected_w.npz"),
                 "--outdir", str(gen)]) == 0
    assert np.array_equal(np.asarray(Image.open(gen / "proj0000.png")), np.asarray(Image.open(out / "proj_0000.png")))
    # the tuned generator renders the pivot as the PTI image
    assert main(["generate", "--network", str(out / "pti-generator.safetensors"), "--projected-w",
                 str(out / "projected_w.npz"), "--outdir", str(tmp_path / "gen2")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "gen2" / "proj0000.png")),
                          np.asarray(Image.open(out / "pti_0000.png")))


def test_project_bad_input(ckpt, tmp_path, capsys):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "small.png")
    assert main(["project", "--network", str(ckpt), "--target", str(tmp_path / "small.png"), "--outdir",
                 str(tmp_path / "o")]) == 2
    assert "the network makes 16x16" in capsys.readouterr().err
    assert main(["project", "--network", str(ckpt), "--target", str(tmp_path / "small.png"), "--lpips-vgg", "x",
                 "--outdir", str(tmp_path / "o")]) == 2


def test_clusters_and_centroid_truncation(ckpt, tmp_path):
    out = tmp_path / "cl"
    assert main(["clusters", "--network", str(ckpt), "--num-clusters", "4", "--num-samples", "300", "--outdir",
                 str(out)]) == 0
    data = np.load(out / "centroids.npz")
    assert data["centroids"].shape == (4, 16) and int(data["counts"].sum()) == 300
    assert (out / "centroids.png").is_file()
    gen = tmp_path / "gen"
    assert main(["generate", "--network", str(ckpt), "--seeds", "0-3", "--trunc", "0", "--trunc-mode", "centroid",
                 "--centroids", str(out / "centroids.npz"), "--outdir", str(gen)]) == 0
    # psi 0: every image is one of the centroid images
    G = load(ckpt).G
    with torch.no_grad():
        cent = G.synthesis(torch.from_numpy(data["centroids"])[:, None].expand(-1, G.num_ws, -1), noise_mode="const")
    cent = ((cent + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy().astype(int)
    for s in range(4):
        img = np.asarray(Image.open(gen / f"seed{s:04d}.png")).astype(int)
        assert min(np.abs(img - c).max() for c in cent) <= 1


def test_detect_with_roc_auc(ckpt, tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    rng = np.random.RandomState(0)
    for i in range(3):
        Image.fromarray(rng.randint(0, 256, (16, 16, 3)).astype(np.uint8)).save(real / f"r{i}.png")
    out = tmp_path / "det"
    assert main(["detect", "--network", str(ckpt), "--seeds", "0-2", "--real-images", str(real), "--steps", "20",
                 "--outdir", str(out)]) == 0
    res = json.loads((out / "scores.json").read_text())
    assert res["summary"]["counts"] == {"generated": 3, "real": 3} and 0 <= res["summary"]["roc_auc"] <= 1
    assert (out / "scores.csv").read_text().splitlines()[0] == "set,name,score,psnr,ssim"
    assert "ROC AUC" in capsys.readouterr().out


def test_activations(ckpt, tmp_path):
    assert main(["activations", "--network", str(ckpt), "--seeds", "3", "--outdir", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["seed0003-all.png", "seed0003-b16.png", "seed0003-b4.png", "seed0003-b8.png", "seed0003-img.png"]
    widths = sum(np.asarray(Image.open(tmp_path / f"seed0003-{k}.png")).shape[1] for k in ("b4", "b8", "b16"))
    fig = np.asarray(Image.open(tmp_path / "seed0003-all.png"))
    assert fig.shape[1] == widths + 3 * 8 + fig.shape[0] // 16 * 16  # image panel upscaled to the mosaic height
