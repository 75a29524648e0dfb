import pytest
import torch

from ganforge.inference import NETWORK_READERS, NetworkFile, load, resolve_network

from .conftest import tiny_nets, write_run


def test_load_run_folder_uses_newest_checkpoint_and_G_ema(run_dir):
    net = load(run_dir)
    assert isinstance(net, NetworkFile) and net.kind == "ganforge" and net.source == "ganforge"
    assert net.path.name == "network-snapshot-000008.safetensors"
    cfg, G, D, G_ema = tiny_nets()
    assert net.model_config == cfg and net.config["batch_size"] == 4
    for key, t in G_ema.state_dict().items():
        assert torch.equal(net.G.state_dict()[key], t), key
    assert not net.G.training and not any(p.requires_grad for p in net.G.parameters())
    assert all(p.dtype == torch.float32 for p in net.G.parameters())
    assert net.D is not None and torch.equal(net.D.state_dict()["b16.fromrgb.weight"], D.state_dict()["b16.fromrgb.weight"])
    z = torch.randn(2, cfg.z_dim)
    with torch.no_grad():
        assert torch.equal(net.G(z, noise_mode="const"), G_ema.eval()(z, noise_mode="const"))


def test_load_file_falls_back_to_G_and_D_may_be_absent(tmp_path):
    path = write_run(tmp_path, modules=("G",))
    net = load(path, device=torch.device("cpu"))
    assert net.D is None and net.path == path
    _, G, _, _ = tiny_nets()
    assert all(torch.equal(net.G.state_dict()[k], t) for k, t in G.state_dict().items())


def test_load_errors_name_the_file(tmp_path):
    for suffix in (".pkl", ".pt", ".pth"):  # foreign formats: a junk file is refused by name, nothing runs
        p = tmp_path / f"network{suffix}"
        p.write_bytes(b"x")
        with pytest.raises(ValueError, match=f"network{suffix}"):
            load(p)
    odd = tmp_path / "weights.onnx"
    odd.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"weights.onnx: unknown network file type '.onnx'; readable: .*\.safetensors"):
        load(odd)
    with pytest.raises(ValueError, match="nothing-here: no such network file"):
        load(tmp_path / "nothing-here")
    (tmp_path / "empty-run").mkdir()
    with pytest.raises(ValueError, match="empty-run: no network-snapshot"):
        resolve_network(tmp_path / "empty-run")
    with pytest.raises(ValueError, match="bad device"):
        load(tmp_path, device="gpu:x")


def test_damaged_newest_checkpoint_names_the_intact_one(run_dir):
    newest = run_dir / "network-snapshot-000008.safetensors"
    data = bytearray(newest.read_bytes())
    data[-7] ^= 0x10
    newest.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"000008.safetensors is corrupt \(sha256 mismatch\); the previous checkpoint .*000004"):
        load(run_dir)


def test_reader_registry_names_the_kinds():
    assert NETWORK_READERS.names() == ["ganforge", "official-pkl", "rosinality"]
    assert NETWORK_READERS.get("rosinality").suffixes == (".pt", ".pth")
