"""``ganforge convert`` and ``ganforge export``: files written, images identical, errors on one line."""

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.cli.main import main
from ganforge.compat import import_rosinality
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.train.checkpoint import load_checkpoint, save_checkpoint

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


@pytest.fixture
def checkpoint(tmp_path):
    """A ganforge checkpoint with G, D, G_ema (noise strengths and w_avg non-zero)."""
    cfg = model_config("stylegan2", **TINY)
    torch.manual_seed(1)
    nets = {"G": build_generator(cfg), "D": build_discriminator(cfg), "G_ema": build_generator(cfg)}
    with torch.no_grad():
        for net in nets.values():
            for name, p in net.named_parameters():
                p.add_(0.1 * torch.randn_like(p))
                if name.endswith("noise_strength"):
                    p.fill_(0.4)
        nets["G"].mapping.w_avg.normal_()
        nets["G_ema"].mapping.w_avg.copy_(nets["G"].mapping.w_avg)
    path = tmp_path / "run" / "network-snapshot-000004.safetensors"
    return save_checkpoint(path, modules=nets, optimizers={}, config={"model": cfg.to_dict()}, state={})


def pngs(folder):
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))}


def test_convert_roundtrip_and_generate_from_pt(tmp_path, checkpoint, capsys):
    pt = tmp_path / "net.pt"
    assert main(["convert", str(checkpoint.parent), "--to", "rosinality", str(pt)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {pt}: rosinality checkpoint with g, g_ema, d, latent_avg, args" in out
    assert "no rosinality channel_multiplier" in out  # tiny channels: note printed
    back = tmp_path / "back.safetensors"
    assert main(["convert", str(pt), str(back)]) == 0
    assert f"wrote {back}: ganforge checkpoint with G, D, G_ema (stylegan2, 16x16" in capsys.readouterr().out
    original, converted = load_checkpoint(checkpoint), load_checkpoint(back)
    for name in ("G", "D", "G_ema"):
        for key, t in original.modules[name].items():
            assert torch.equal(converted.modules[name][key], t), (name, key)
    assert converted.config["imported_from"]["source"] == "rosinality/stylegan2-pytorch"
    for network, outdir in ((checkpoint, "a"), (pt, "b"), (back, "c")):
        assert main(["generate", "--network", str(network), "--seeds", "0-2", "--trunc", "0.7",
                     "--outdir", str(tmp_path / outdir)]) == 0
    a, b, c = pngs(tmp_path / "a"), pngs(tmp_path / "b"), pngs(tmp_path / "c")
    assert len(a) == 3 and all(np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k]) for k in a)


def test_convert_errors_are_one_line(tmp_path, checkpoint, capsys):
    assert main(["convert", str(checkpoint), str(tmp_path / "x.safetensors")]) == 2  # nothing to convert
    assert "000004.safetensors: already a ganforge checkpoint" in capsys.readouterr().err
    assert main(["convert", str(checkpoint), "--to", "rosinality", str(tmp_path / "x.bin")]) == 2
    assert "must end with .pt or .pth" in capsys.readouterr().err
    (tmp_path / "junk.pt").write_bytes(b"junk")
    assert main(["convert", str(tmp_path / "junk.pt"), str(tmp_path / "x.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "junk.pt: not a readable torch file" in err and "Traceback" not in err


def test_export_synthesis_onnx_matches_pytorch(tmp_path, checkpoint, capsys):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    out = tmp_path / "synthesis.onnx"
    assert main(["export", "--network", str(checkpoint), "--format", "onnx", "--part", "synthesis", "--out", str(out)]) == 0
    assert "ws [batch, 6, 16] -> img [batch, 3, 16, 16]" in capsys.readouterr().out
    G = ganforge.load(checkpoint).G
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        ws = torch.randn(batch, G.num_ws, G.w_dim)
        with torch.no_grad():
            ref = G.synthesis(ws, noise_mode="const")
        got = torch.from_numpy(session.run(None, {"ws": ws.numpy()})[0])
        assert got.shape == ref.shape and (got - ref).abs().max() < 1e-4
    assert main(["export", "--network", str(checkpoint), "--out", str(out), "--opset", "11"]) == 2
    assert "opset must be >= 18" in capsys.readouterr().err


def test_pt_import_matches_direct_import(tmp_path, checkpoint):
    pt = tmp_path / "n.pt"
    main(["convert", str(checkpoint), "--to", "rosinality", str(pt)])
    imported = import_rosinality(pt)
    net = ganforge.load(pt)
    assert net.model_config == imported.model_config and net.D is not None
    assert net.kind == "rosinality" and net.source == imported.source and list(net.state_dicts) == ["G", "D", "G_ema"]
