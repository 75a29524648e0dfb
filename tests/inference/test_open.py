"""``open_networks``: every kind of network file opens into the one holder, and gives the same images."""

import shutil

import pytest
import torch

import ganforge
from ganforge.compat import NetworkData, export_rosinality
from ganforge.inference import NETWORK_READERS, NetworkFile, NetworkReader, generate_images, load, open_networks
from ganforge.models import build_generator, model_config
from ganforge.models.network import require_mapping
from tests.compat import official_pickle_builder as B

from .conftest import tiny_nets, write_run

SEEDS = [0, 3, 11]


@pytest.fixture
def files(tmp_path):
    """The same tiny G / D / G_ema written as a ganforge checkpoint, an official pickle and a rosinality file."""
    cfg, G, D, G_ema = tiny_nets()
    nets = {"G": G.eval(), "D": D.eval(), "G_ema": G_ema.eval()}
    return {
        "ganforge": write_run(tmp_path / "run"),
        "official-pkl": B.write(tmp_path / "network-snapshot-000100.pkl", B.snapshot(cfg, nets, layout="ada")),
        "rosinality": export_rosinality(G, tmp_path / "ros.pt", D=D, G_ema=G_ema),
    }


@pytest.mark.parametrize("kind", ["ganforge", "official-pkl", "rosinality"])
def test_every_kind_opens_into_the_one_holder(files, kind):
    cfg, G, D, G_ema = tiny_nets()
    net = open_networks(files[kind])
    assert type(net) is NetworkFile and net.kind == kind and net.path == files[kind]
    assert net.model_config == cfg and net.names == ("G", "D", "G_ema")
    assert net.source == {"ganforge": "ganforge", "official-pkl": "stylegan2-ada-pytorch",
                          "rosinality": "rosinality/stylegan2-pytorch"}[kind]
    assert net.build("G") is net.build("G") and net.G is net.G_ema  # built once; G samples from G_ema
    for name, ref in (("G", G), ("D", D), ("G_ema", G_ema)):
        got = net.state_dicts[name]
        # a rosinality file keeps one latent_avg (G_ema's) for both generators
        skip = {"mapping.w_avg"} if (kind, name) == ("rosinality", "G") else set()
        assert all(torch.equal(got[k], t) for k, t in ref.state_dict().items() if k not in skip), (kind, name)
    assert not net.G.training and not any(p.requires_grad for p in net.D.parameters())
    if kind == "ganforge":
        assert net.config["batch_size"] == 4 and net.metadata["cur_nimg"] == 4000
    else:  # a foreign file: the config a converted checkpoint stores
        assert net.config["model"] == cfg.to_dict() and net.config["imported_from"]["source"] == net.source


@pytest.mark.parametrize("kind", ["ganforge", "official-pkl", "rosinality"])
def test_same_seed_same_image_through_load_and_generate(files, kind):
    _, _, _, G_ema = tiny_nets()
    expected = generate_images(G_ema.eval(), SEEDS, psi=0.7)
    assert torch.equal(load(files[kind]).generate(SEEDS, psi=0.7), expected)
    assert torch.equal(ganforge.open_networks(files[kind]).generate("0,3,11", psi=0.7), expected)


def test_content_decides_before_the_suffix(files, tmp_path):
    """A file is read by the reader that recognises its first bytes, whatever its name."""
    for kind, suffix in (("official-pkl", ".bin"), ("rosinality", ".pkl"), ("ganforge", ".pt")):
        renamed = shutil.copy(files[kind], tmp_path / f"renamed-{kind}{suffix}")
        assert open_networks(renamed).kind == kind


def test_errors_name_the_file(files, tmp_path):
    junk = tmp_path / "weights.onnx"
    junk.write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"weights.onnx: unknown network file type '.onnx'; readable: "
                                         r"\.pkl, \.pt, \.pth, \.safetensors"):
        open_networks(junk)
    d_only = write_run(tmp_path / "d-only", modules=("D",))
    with pytest.raises(ValueError, match=r"network-snapshot-000004.safetensors: the file holds no generator"):
        open_networks(d_only)
    g_only = open_networks(write_run(tmp_path / "g-only", modules=("G",)))
    assert g_only.D is None and g_only.G_ema is None and g_only.G is g_only.build("G")
    with pytest.raises(ValueError, match=r"g-only.*holds no D \(it has \['G'\]\)"):
        g_only.build("D")
    with pytest.raises(ValueError, match="bad device"):
        open_networks(files["ganforge"], device="gpu:x")


def test_a_new_format_is_one_registration(files, tmp_path, monkeypatch):
    """What a StyleGAN3 reader will do: register a kind; open_networks, load and generate take it from there."""
    cfg, _, _, G_ema = tiny_nets()
    toy = tmp_path / "net.toy"
    toy.write_bytes(b"TOY!" + b"\0" * 12)

    def read(path, *, verify=True):
        return NetworkData(model_config=cfg, state_dicts={"G_ema": G_ema.state_dict()}, source="toy-code", metadata={})

    monkeypatch.setitem(NETWORK_READERS._entries, "toy", NetworkReader(suffixes=(".toy",),
                                                                       sniff=lambda head: head.startswith(b"TOY!"),
                                                                       read=read))
    net = load(toy)
    assert net.kind == "toy" and net.names == ("G_ema",) and net.config["imported_from"]["source"] == "toy-code"
    assert torch.equal(net.generate(SEEDS), generate_images(G_ema.eval(), SEEDS))


def test_save_writes_a_checkpoint_that_opens_to_the_same_networks(files, tmp_path):
    net = open_networks(files["official-pkl"])
    back = open_networks(net.save(tmp_path / "converted.safetensors"))
    assert back.kind == "ganforge" and back.config == net.config and back.names == net.names
    for name in net.names:
        assert all(torch.equal(back.state_dicts[name][k], t) for k, t in net.state_dicts[name].items())


def test_generators_without_mapping_are_refused_by_capability():
    G = build_generator(model_config("dcgan", img_resolution=16, z_dim=8)).eval()
    with pytest.raises(ValueError, match="truncation needs a generator with a mapping network; the dcgan Generator has"):
        generate_images(G, [0], psi=0.5)
    assert generate_images(G, [0]).shape == (1, 16, 16, 3)  # psi = 1: G(z, c) directly
    assert require_mapping(tiny_nets()[3], "PPL").num_ws == tiny_nets()[3].num_ws
