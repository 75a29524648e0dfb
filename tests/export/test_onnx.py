"""ONNX export: the exported generator matches PyTorch in onnxruntime, for several batch sizes."""

import pytest
import torch

from ganforge.export import export_onnx
from ganforge.models import build_generator, model_config

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


def trained_looking_G(**kwargs):
    """A tiny G with non-zero noise strengths and w_avg (so that noise and truncation matter)."""
    G = build_generator(model_config("stylegan2", **TINY, **kwargs)).eval()
    with torch.no_grad():
        for name, p in G.named_parameters():
            p.add_(0.1 * torch.randn_like(p))
            if name.endswith("noise_strength"):
                p.fill_(0.5)
        G.mapping.w_avg.normal_()
    return G


def max_error(session, feeds, reference):
    out = session.run(None, {k: v.numpy() for k, v in feeds.items()})[0]
    assert out.shape == tuple(reference.shape) and out.dtype.name == "float32"
    return float(abs(torch.from_numpy(out) - reference).max())


def test_full_generator_matches_pytorch_with_dynamic_batch(tmp_path):
    G = trained_looking_G()
    path = export_onnx(G, tmp_path / "g.onnx", truncation_psi=0.7)
    assert [p.name for p in tmp_path.iterdir()] == ["g.onnx"]  # weights inside, no .data file
    model = onnx.load(str(path))
    ops = {node.op_type for node in model.graph.node}
    assert all(node.domain in ("", "ai.onnx") for node in model.graph.node), "custom ops"
    assert "RandomNormal" not in ops and "RandomNormalLike" not in ops
    assert {p.key: p.value for p in model.metadata_props}["ganforge.truncation_psi"] == "0.7"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z"] and session.get_inputs()[0].shape[0] == "batch"
    for batch in (1, 3):
        z = torch.randn(batch, 16)
        with torch.no_grad():
            ref = G(z, truncation_psi=0.7, noise_mode="const")
        assert max_error(session, {"z": z}, ref) < 1e-4


def test_bad_arguments_are_clear_errors(tmp_path):
    G = build_generator(model_config("stylegan2", **TINY))
    for kwargs, match in ((dict(noise_mode="random"), "random noise is not exported"), (dict(part="mapping"), "part"),
                          (dict(opset=17), "opset must be >= 18"), (dict(part="synthesis", truncation_psi=0.5), "truncation")):
        with pytest.raises(ValueError, match=match):
            export_onnx(G, tmp_path / "g.onnx", **kwargs)
    assert not (tmp_path / "g.onnx").exists()


@pytest.mark.slow
def test_conditional_generator_and_no_noise(tmp_path):
    G = trained_looking_G(c_dim=4)
    path = export_onnx(G, tmp_path / "g.onnx", noise_mode="none", truncation_psi=0.5, truncation_cutoff=2)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z", "c"]
    for batch in (1, 3):
        z, c = torch.randn(batch, 16), torch.eye(4)[torch.arange(batch)]
        with torch.no_grad():
            ref = G(z, c, truncation_psi=0.5, truncation_cutoff=2, noise_mode="none")
        assert max_error(session, {"z": z, "c": c}, ref) < 1e-4
