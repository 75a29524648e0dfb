"""Official StyleGAN2-ADA / StyleGAN3 pickles: exact round trips, and hostile files refused without side effects.

The pickles are written by ``official_pickle_builder`` (no NVIDIA code) from ganforge networks.
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge
from ganforge.compat.official_kwargs import SOURCE_ADA, SOURCE_SG3_STYLEGAN2
from ganforge.compat.official_pkl import import_official_pkl, state_dict_of
from ganforge.compat.unpickler import load_restricted
from ganforge.inference import open_networks
from ganforge.models import build_discriminator, build_generator, model_config
from tests.compat import official_pickle_builder as B

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These networks are tiny: with several threads, synchronisation costs 10-100x the work on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_config(**overrides):
    return model_config("stylegan2", **{**TINY, **overrides})


def make_networks(cfg, seed=0):
    """G, D, G_ema with different random weights, and w_avg set so truncation matters."""
    torch.manual_seed(seed)
    nets = {"G": build_generator(cfg), "D": build_discriminator(cfg), "G_ema": build_generator(cfg)}
    for name in ("G", "G_ema"):
        nets[name].mapping.w_avg.normal_()
    return {k: v.eval().requires_grad_(False) for k, v in nets.items()}


@pytest.fixture(scope="module")
def uncond():
    cfg = tiny_config()
    return cfg, make_networks(cfg)


@pytest.fixture(scope="module")
def cond():
    cfg = tiny_config(c_dim=3)
    return cfg, make_networks(cfg, seed=1)


def assert_same_outputs(imported, nets, cfg):
    z = torch.randn(2, cfg.z_dim, generator=torch.Generator().manual_seed(5))
    c = torch.eye(cfg.c_dim)[torch.tensor([0, 1]) % cfg.c_dim] if cfg.c_dim else None
    for name, ref in nets.items():
        loaded = imported.build(name)
        if name == "D":
            img = torch.randn(2, cfg.img_channels, cfg.img_resolution, cfg.img_resolution)
            assert torch.equal(loaded(img, c), ref(img, c))
            continue
        for psi in (1.0, 0.7):
            expected = ref(z, c, truncation_psi=psi, noise_mode="const")
            assert torch.equal(loaded(z, c, truncation_psi=psi, noise_mode="const"), expected)


CASES = {
    "ada-p4-torch2": ("ada", False, B.Style()),
    "ada-cond-p4-torch2": ("ada", True, B.Style()),
    "sg3-p4-torch2": ("sg3", False, B.Style()),
    "sg3-cond-p2-torch1-numpy1": ("sg3", True, B.Style(protocol=2, torch1=True, numpy1=True)),
    "ada-cond-p3-torch1-zipblobs": ("ada", True, B.Style(protocol=3, torch1=True, zip_storages=True)),
    "ada-p5": ("ada", False, B.Style(protocol=5)),
    "pretrained-Gema-only-p3-numpy1": ("pretrained", False, B.Style(protocol=3, torch1=True, numpy1=True)),
    "pretrained-cond-Gema-only-p2": ("pretrained", True, B.Style(protocol=2, torch1=True)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_is_bit_exact(case, uncond, cond, tmp_path):
    layout, conditional, style = CASES[case]
    cfg, nets = cond if conditional else uncond
    nets = {"G_ema": nets["G_ema"]} if layout == "pretrained" else nets
    path = B.write(tmp_path / "network-snapshot-000100.pkl", B.snapshot(cfg, nets, layout=layout, style=style), style)
    imported = open_networks(path)
    assert imported.source == (SOURCE_SG3_STYLEGAN2 if layout == "sg3" else SOURCE_ADA)
    assert imported.model_config == cfg and imported.path == path
    assert list(imported.state_dicts) == list(nets)
    for name, net in nets.items():
        ref = net.state_dict()
        assert list(imported.state_dicts[name]) == list(ref)  # names and order of module.state_dict()
        assert all(torch.equal(imported.state_dicts[name][k], ref[k]) for k in ref)
        assert all(t.dtype == torch.float32 and t.is_contiguous() for t in imported.state_dicts[name].values())
    assert_same_outputs(imported, nets, cfg)


def test_fp16_tensors_are_cast_to_fp32(cond, tmp_path):
    cfg, nets = cond
    style = B.Style(half=True)
    imported = import_official_pkl(B.write(tmp_path / "half.pkl", B.snapshot(cfg, nets, style=style), style))
    for name, net in nets.items():
        for key, value in net.state_dict().items():
            assert imported.state_dicts[name][key].dtype == torch.float32
            assert torch.equal(imported.state_dicts[name][key], value.half().float())


def test_fp16_settings_are_kept_as_data(tmp_path):
    cfg = tiny_config(num_fp16_res=2, conv_clamp=256.0, g_architecture="resnet", d_architecture="skip",
                      mbstd_group_size=2, mapping_lr_multiplier=0.1, d_mapping_layers=2, c_dim=2, cmap_dim=8)
    nets = make_networks(cfg)
    imported = open_networks(B.write(tmp_path / "x.pkl", B.snapshot(cfg, nets)))
    assert imported.model_config == cfg  # num_fp16_res stays in the config; CPU always runs fp32
    assert imported.metadata["init_kwargs"]["G"]["synthesis_kwargs"]["num_fp16_res"] == 2
    assert_same_outputs(imported, nets, cfg)


def test_extra_keeps_augment_pipe_and_training_set(uncond, tmp_path):
    cfg, nets = uncond
    imported = open_networks(B.write(tmp_path / "x.pkl", B.snapshot(cfg, nets, augment_p=0.375)))
    extra = imported.metadata
    assert extra["augment_pipe"]["p"] == 0.375 and extra["augment_pipe"]["class_name"] == "AugmentPipe"
    assert extra["augment_pipe"]["init_kwargs"]["imgfilter_bands"] == [1, 1, 1, 1]
    assert extra["training_set_kwargs"]["resolution"] == 16 and extra["training_set_kwargs"]["max_size"] == 1000
    assert extra["init_kwargs"]["G"]["mapping_kwargs"] == {"num_layers": 2}
    assert set(extra["module_src_sha256"]) == {"G", "D", "G_ema"}
    json.loads(json.dumps(imported.config))
    no_aug = import_official_pkl(B.write(tmp_path / "y.pkl", B.snapshot(cfg, nets, augment_p=None)))
    assert no_aug.metadata["augment_pipe"] is None
    saved = ganforge.load(imported.save(tmp_path / "converted.safetensors"))  # what `ganforge convert` writes
    z = torch.randn(2, cfg.z_dim)
    assert torch.equal(saved.G(z, None, noise_mode="const"), nets["G_ema"](z, None, noise_mode="const"))
    assert saved.config["imported_from"]["augment_pipe"]["p"] == 0.375


@pytest.mark.parametrize("c_dim,counts", [(0, (75, 37, 75)), (4, (77, 55, 77))])
def test_reference_small32_snapshot(tmp_path, c_dim, counts):
    """REFERENCE Part 1 section 5: the res-32 'small' snapshot has 75/37/75 tensors (77/55/77 with c_dim=4)."""
    cfg = model_config("stylegan2", img_resolution=32, z_dim=256, w_dim=256, mapping_layers=2, channel_base=16384,
                       channel_max=256, num_fp16_res=4, conv_clamp=256.0, c_dim=c_dim)
    nets = make_networks(cfg)
    imported = open_networks(B.write(tmp_path / "network-snapshot-000000.pkl", B.snapshot(cfg, nets)))
    assert tuple(len(imported.state_dicts[k]) for k in ("G", "D", "G_ema")) == counts
    assert imported.model_config == cfg
    assert_same_outputs(imported, nets, cfg)


def test_malformed_stylegan3_networks_are_refused(tmp_path):
    path = B.write(tmp_path / "stylegan3-t.pkl", B.stylegan3_stub())
    with pytest.raises(ValueError, match=r"stylegan3-t\.pkl: the G_ema tensors do not fit the rebuilt stylegan3 config"):
        import_official_pkl(path)


def test_incompatible_discriminator_is_skipped_with_a_warning(uncond, tmp_path):
    cfg, nets = uncond
    data = B.snapshot(cfg, nets)
    data["D"].meta["state"]["_init_kwargs"]["channel_base"] = 256
    with pytest.warns(UserWarning, match="D is not imported"):
        imported = import_official_pkl(B.write(tmp_path / "x.pkl", data))
    assert list(imported.state_dicts) == ["G", "G_ema"] and "channel_base" in imported.metadata["skipped"]["D"]


@pytest.mark.parametrize("where,key,value", [("mapping_kwargs", "activation", "relu"),
                                             ("synthesis_kwargs", "use_noise", False),
                                             ("synthesis_kwargs", "unknown_option", 1)])
def test_unsupported_generator_options_are_refused(uncond, tmp_path, where, key, value):
    cfg, nets = uncond
    data = B.snapshot(cfg, {"G_ema": nets["G_ema"]})
    data["G_ema"].meta["state"]["_init_kwargs"][where][key] = value
    with pytest.raises(ValueError, match=rf"x\.pkl: cannot rebuild the generator config: .*{key}"):
        import_official_pkl(B.write(tmp_path / "x.pkl", data))


# --- hostile and broken files ---------------------------------------------------------------------------------
def marker_command(marker: Path) -> str:
    return f"touch {marker}"


@pytest.mark.parametrize("module,name", [("os", "system"), ("posix", "system"), ("builtins", "exec"),
                                         ("builtins", "eval"), ("subprocess", "call"), ("torch", "load")])
@pytest.mark.parametrize("nested", [False, True])
def test_dangerous_globals_are_refused(uncond, tmp_path, module, name, nested):
    marker = tmp_path / "pwned"
    payload = B.Raw(B.global_named(module, name), marker_command(marker))
    if nested:  # hidden inside G's attributes, after many legitimate objects
        data = B.snapshot(uncond[0], {"G_ema": uncond[1]["G_ema"]})
        data["G_ema"].meta["state"]["_modules"]["mapping"].meta["state"]["innocent"] = payload
    else:
        data = payload
    path = B.write(tmp_path / "evil.pkl", data)
    with pytest.raises(ValueError, match=rf"evil\.pkl: refusing to load global '{module}\.{name}' \(not a StyleGAN"):
        import_official_pkl(path)
    assert not marker.exists()


def test_module_src_is_never_executed(uncond, tmp_path):
    marker = tmp_path / "executed"
    source = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\nclass Generator: pass\n"
    cfg, nets = uncond
    imported = open_networks(B.write(tmp_path / "x.pkl", B.snapshot(cfg, nets, module_src=source)))
    assert not marker.exists()
    assert imported.metadata["module_src_sha256"]["G"] == hashlib.sha256(source.encode()).hexdigest()
    assert_same_outputs(imported, {"G_ema": nets["G_ema"]}, cfg)  # loading still works: the text is only data


def test_bad_global_inside_a_storage_blob_is_refused(uncond, tmp_path):
    marker = tmp_path / "pwned"
    payload = B.Raw(B.global_named("os", "system"), marker_command(marker))
    data = B.snapshot(uncond[0], {"G_ema": uncond[1]["G_ema"]})
    data["G_ema"].meta["state"]["_buffers"]["evil"] = B.tensor_record(B.legacy_blob(b"", 0, obj=payload), (0,), (1,))
    with pytest.raises(ValueError, match=r"x\.pkl: refusing to load global 'os\.system' inside a tensor storage blob"):
        import_official_pkl(B.write(tmp_path / "x.pkl", data))
    blob = B.zip_blob(payload)  # a zip blob whose pickle names a bad global: refused by torch.load(weights_only=True)
    data["G_ema"].meta["state"]["_buffers"]["evil"] = B.tensor_record(blob, (0,), (1,))
    with pytest.raises(ValueError, match=r"y\.pkl: cannot read a zip tensor storage blob safely"):
        import_official_pkl(B.write(tmp_path / "y.pkl", data))
    assert not marker.exists()


@pytest.mark.parametrize("record,message", [
    (B.tensor_record(B.legacy_blob(b"\0" * 4, 2**40), (1,), (1,)), r"declares 1099511627776 elements .*over the"),
    (B.tensor_record(B.legacy_blob(b"\0" * 4, 1000), (1,), (1,)), r"holds only 4 B \(truncated or forged\)"),
    (B.tensor_record(B.legacy_blob(b"\0" * 4, 1), (2**20, 2**20), (0, 0)), r"the tensors declare 4\.0 TiB"),
    (B.tensor_record(B.legacy_blob(b"\0" * 4, 1), (2,), (1,)), r"reads past the end of its storage"),
    (B.tensor_record(B.legacy_blob(b"\0" * 8, 1, "DoubleStorage"), (1,), (1,), offset=-1), r"storage offset"),
    (B.tensor_record(B.legacy_blob(b"", 0, "ObjectStorage"), (0,), (1,)), r"refusing to load global 'torch\.Object"),
    (B.Raw(torch._utils._rebuild_parameter, torch.zeros(1), False, {"hook": 1}), r"backward hooks"),
    (np.array([None, 1], dtype=object), r"refusing numpy dtype 'O8'"),
    (np.arange(6, dtype=np.float32).reshape(2, 3), None),  # plain ndarrays (StyleGAN3 attributes) are fine
    (B.Raw(B._reconstruct_persistent_obj, {"type": "class", "version": 6, "module_src": "", "class_name": "X",
                                          "state": {}}, state={"state": None}), r"given extra state \(BUILD\)"),
    (B.Raw(B.global_named("numpy._core.multiarray", "_reconstruct"), B.EasyDict, (0,), b"b"),
     r"refusing numpy _reconstruct of anything but numpy\.ndarray"),
])
def test_forged_records_are_refused(uncond, tmp_path, record, message):
    data = B.snapshot(uncond[0], {"G_ema": uncond[1]["G_ema"]})
    data["G_ema"].meta["state"]["forged"] = record
    path = B.write(tmp_path / "x.pkl", data)
    if message is None:
        import_official_pkl(path)
        return
    with pytest.raises(ValueError, match=rf"x\.pkl: .*{message}"):
        import_official_pkl(path)


def test_cycles_deep_trees_and_shared_lists_do_not_hang(uncond, tmp_path):
    cyclic = tmp_path / "cyclic.pkl"
    cyclic.write_bytes(B.cyclic_generator_pickle())
    with pytest.raises(ValueError, match="cyclic.pkl"):
        import_official_pkl(cyclic)
    G = load_restricted(cyclic)["G_ema"]
    assert G.child("self") is G
    with pytest.raises(ValueError, match="module tree has a cycle"):
        state_dict_of(G, "cyclic.pkl")

    cfg, nets = uncond
    data = B.snapshot(cfg, {"G_ema": nets["G_ema"]})
    chain = data["G_ema"]
    for _ in range(40):  # a 40-level chain of submodules (official networks nest 4)
        link = B.persistent_module(torch.nn.Module(), "", B.Style())
        chain.meta["state"]["_modules"]["next"] = link
        chain = link
    with pytest.raises(ValueError, match=r"deep\.pkl: the module tree .* over 32 levels deep"):
        import_official_pkl(B.write(tmp_path / "deep.pkl", data))

    shared: list = []
    for _ in range(60):  # 2**60 leaves when expanded, a few hundred bytes pickled
        shared = [shared, shared]
    data = B.snapshot(cfg, {"G_ema": nets["G_ema"]}, training_set_kwargs={"path": shared})
    imported = import_official_pkl(B.write(tmp_path / "shared.pkl", data))
    assert "<too large>" in json.dumps(imported.metadata["training_set_kwargs"])


def test_persistence_version_and_type_are_checked(uncond, tmp_path):
    cfg, nets = uncond
    style = B.Style(version=5)
    with pytest.raises(ValueError, match=r"x\.pkl: unsupported torch_utils\.persistence format version 5 \(expected 6\)"):
        import_official_pkl(B.write(tmp_path / "x.pkl", B.snapshot(cfg, nets, style=style), style))
    data = B.snapshot(cfg, {"G_ema": nets["G_ema"]})
    data["G_ema"].meta["type"] = "function"
    with pytest.raises(ValueError, match=r"unsupported persistent object type 'function'"):
        import_official_pkl(B.write(tmp_path / "y.pkl", data))


def test_file_size_cap(uncond, tmp_path):
    path = B.write(tmp_path / "x.pkl", B.snapshot(uncond[0], uncond[1]))
    with pytest.raises(ValueError, match=r"x\.pkl: the file is .* over the 1\.0 KiB limit"):
        import_official_pkl(path, max_bytes=1024)
    assert import_official_pkl(path, max_bytes=path.stat().st_size).state_dicts  # the cap is inclusive


def test_broken_files_name_the_file(uncond, tmp_path):
    good = B.dumps(B.snapshot(uncond[0], {"G_ema": uncond[1]["G_ema"]}))
    cases = {"truncated.pkl": good[: len(good) // 2], "text.pkl": b"hello, not a pickle\n", "empty.pkl": b"",
             "list.pkl": B.dumps([1, 2]), "nogen.pkl": B.dumps({"training_set_kwargs": None}),
             "badkwargs.pkl": B.dumps({"training_set_kwargs": [1], "G_ema": None})}
    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(1)}, buffer)
    cases["zip.pkl"] = buffer.getvalue()
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=rf"{name.replace('.', '[.]')}"):
            import_official_pkl(tmp_path / name)
    with pytest.raises(ValueError, match="missing.pkl: cannot read the file"):
        import_official_pkl(tmp_path / "missing.pkl")
    tf_era = B.write(tmp_path / "tf.pkl", B.Raw(B.global_named("dnnlib.tflib.network", "Network")))
    with pytest.raises(ValueError, match="tf.pkl: refusing to load global 'dnnlib.tflib.network.Network' .*TensorFlow"):
        import_official_pkl(tf_era)


def test_parameters_with_ordered_dict_hooks_and_sets_round_trip(tmp_path):
    """A protocol-2 file uses builtins.set (as __builtin__.set), _codecs.encode and OrderedDict globals."""
    data = {"G_ema": None, "training_set_kwargs": collections.OrderedDict(a={1, 2}, b=b"\x00\xff", c=np.float32(0.5))}
    path = B.write(tmp_path / "x.pkl", data, B.Style(protocol=2))
    with pytest.raises(ValueError, match="holds no generator"):
        import_official_pkl(path)
    loaded = load_restricted(path)
    assert loaded["training_set_kwargs"] == {"a": {1, 2}, "b": b"\x00\xff", "c": 0.5}


def test_pkl_through_load_generate_and_convert_cli(uncond, tmp_path, capsys):
    from ganforge.cli.main import main
    from ganforge.utils.seeds import z_from_seeds
    from ganforge.utils.images import to_uint8

    cfg, nets = uncond
    path = B.write(tmp_path / "network-snapshot-000100.pkl", B.snapshot(cfg, nets, layout="ada"))
    expected = torch.from_numpy(to_uint8(nets["G_ema"](z_from_seeds([0, 1], cfg.z_dim), None, noise_mode="const")))
    assert torch.equal(ganforge.load(path).generate([0, 1]), expected)  # official seeds -> same images
    out = tmp_path / "converted.safetensors"
    assert main(["convert", str(path), str(out)]) == 0
    assert torch.equal(ganforge.load(out).generate([0, 1]), expected)
    assert main(["generate", "--network", str(path), "--seeds", "0-1", "--outdir", str(tmp_path / "png")]) == 0
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["seed0000.png", "seed0001.png"]
