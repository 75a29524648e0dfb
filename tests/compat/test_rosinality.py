"""rosinality ``.pt`` import/export: exact round trips, and agreement with rosinality's own forward pass.

``ros_generator`` / ``ros_discriminator`` below re-implement the forward passes of
rosinality/stylegan2-pytorch (MIT) directly on its state-dict names, following the structure of its
``model.py`` (``EqualLinear``, fused ``ModulatedConv2d`` with transposed-conv upsampling + ``Blur``,
``NoiseInjection``, ``FusedLeakyReLU``, ``ToRGB`` skip upsampling, ``ResBlock``, minibatch stddev)
and of ``upfirdn2d_native``; they share no code with ganforge.
"""

import argparse
import math
import os

import pytest
import torch
import torch.nn.functional as F

import ganforge
from ganforge.compat.rosinality import export_rosinality, import_rosinality, rosinality_channel_multiplier
from ganforge.inference import open_networks
from ganforge.models import build_discriminator, build_generator, model_config

CONFIGS = {  # two resolutions, two channel layouts (res 32: 16 channels up to 16x16, 8 at 32x32)
    "res16": dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16),
    "res32": dict(img_resolution=32, z_dim=24, w_dim=24, mapping_layers=3, channel_base=256, channel_max=16),
}
SQRT2 = math.sqrt(2)

# ------------------------------------------------------------------ rosinality forward, re-implemented


def ros_upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    N, C, H, W = x.shape
    if up > 1:  # zero insertion
        y = x.new_zeros(N, C, H * up, W * up)
        y[:, :, ::up, ::up] = x
        x = y
    p0, p1 = pad
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    x = x[:, :, max(-p0, 0): x.shape[2] - max(-p1, 0), max(-p0, 0): x.shape[3] - max(-p1, 0)]
    taps = torch.flip(kernel, [0, 1])[None, None].repeat(C, 1, 1, 1)  # true convolution
    return F.conv2d(x, taps, groups=C)[:, :, ::down, ::down]


def ros_equal_linear(x, sd, prefix, lr_mul=1.0, activate=False):
    w = sd[f"{prefix}.weight"]
    out = F.linear(x, w * (lr_mul / math.sqrt(w.shape[1])))
    if activate:
        return F.leaky_relu(out + sd[f"{prefix}.bias"] * lr_mul, 0.2) * SQRT2
    return out + sd[f"{prefix}.bias"] * lr_mul


def ros_modconv(x, latent, sd, prefix, demodulate=True, upsample=False):
    N, I, H, W = x.shape
    weight = sd[f"{prefix}.weight"]  # [1, O, I, k, k]
    O, k = weight.shape[1], weight.shape[-1]
    style = ros_equal_linear(latent, sd, f"{prefix}.modulation").view(N, 1, I, 1, 1)
    w = weight * style / math.sqrt(I * k * k)
    if demodulate:
        w = w * torch.rsqrt(w.pow(2).sum([2, 3, 4]) + 1e-8).view(N, O, 1, 1, 1)
    if upsample:
        wt = w.transpose(1, 2).reshape(N * I, O, k, k)
        out = F.conv_transpose2d(x.reshape(1, N * I, H, W), wt, stride=2, groups=N)
        out = out.view(N, O, *out.shape[2:])
        p = (sd[f"{prefix}.blur.kernel"].shape[0] - 2) - (k - 1)
        return ros_upfirdn2d(out, sd[f"{prefix}.blur.kernel"], pad=((p + 1) // 2 + 1, p // 2 + 1))
    out = F.conv2d(x.reshape(1, N * I, H, W), w.reshape(N * O, I, k, k), padding=k // 2, groups=N)
    return out.view(N, O, H, W)


def ros_styled_conv(x, latent, sd, prefix, noise, upsample=False):
    out = ros_modconv(x, latent, sd, f"{prefix}.conv", upsample=upsample)
    out = out + sd[f"{prefix}.noise.weight"] * noise
    return F.leaky_relu(out + sd[f"{prefix}.activate.bias"].view(1, -1, 1, 1), 0.2) * SQRT2


def ros_to_rgb(x, latent, sd, prefix, skip=None):
    out = ros_modconv(x, latent, sd, f"{prefix}.conv", demodulate=False) + sd[f"{prefix}.bias"]
    if skip is not None:
        kernel = sd[f"{prefix}.upsample.kernel"]
        p = kernel.shape[0] - 2
        out = out + ros_upfirdn2d(skip, kernel, up=2, pad=((p + 1) // 2 + 1, p // 2))
    return out


def ros_generator(sd, z, truncation=1.0, truncation_latent=None):
    """rosinality ``Generator([z], truncation=..., randomize_noise=False)`` (stored noise buffers)."""
    n_mlp = len([k for k in sd if k.startswith("style.") and k.endswith(".weight")])
    num_blocks = len({k.split(".")[1] for k in sd if k.startswith("to_rgbs.")})
    w = z * torch.rsqrt(torch.mean(z**2, dim=1, keepdim=True) + 1e-8)
    for i in range(1, n_mlp + 1):
        w = ros_equal_linear(w, sd, f"style.{i}", lr_mul=0.01, activate=True)
    if truncation < 1:
        w = truncation_latent + truncation * (w - truncation_latent)
    latent = w.unsqueeze(1).repeat(1, 2 * num_blocks + 2, 1)
    out = sd["input.input"].repeat(z.shape[0], 1, 1, 1)
    out = ros_styled_conv(out, latent[:, 0], sd, "conv1", sd["noises.noise_0"])
    skip = ros_to_rgb(out, latent[:, 1], sd, "to_rgb1")
    for j in range(num_blocks):
        i = 2 * j + 1
        out = ros_styled_conv(out, latent[:, i], sd, f"convs.{2 * j}", sd[f"noises.noise_{i}"], upsample=True)
        out = ros_styled_conv(out, latent[:, i + 1], sd, f"convs.{2 * j + 1}", sd[f"noises.noise_{i + 1}"])
        skip = ros_to_rgb(out, latent[:, i + 2], sd, f"to_rgbs.{j}", skip)
    return skip


def ros_conv_layer(x, sd, prefix, kernel_size, downsample=False, activate=True):
    idx, stride, padding = 0, 1, kernel_size // 2
    if downsample:
        kernel = sd[f"{prefix}.0.kernel"]
        p = (kernel.shape[0] - 2) + (kernel_size - 1)
        x = ros_upfirdn2d(x, kernel, pad=((p + 1) // 2, p // 2))
        idx, stride, padding = 1, 2, 0
    w = sd[f"{prefix}.{idx}.weight"]
    x = F.conv2d(x, w / math.sqrt(w[0].numel()), stride=stride, padding=padding)
    return F.leaky_relu(x + sd[f"{prefix}.{idx + 1}.bias"].view(1, -1, 1, 1), 0.2) * SQRT2 if activate else x


def ros_discriminator(sd, img):
    out = ros_conv_layer(img, sd, "convs.0", 1)
    for i in range(1, len({k.split(".")[1] for k in sd if k.startswith("convs.")})):
        x = ros_conv_layer(out, sd, f"convs.{i}.conv1", 3)
        x = ros_conv_layer(x, sd, f"convs.{i}.conv2", 3, downsample=True)
        out = (x + ros_conv_layer(out, sd, f"convs.{i}.skip", 1, downsample=True, activate=False)) / SQRT2
    N, C, H, W = out.shape
    group = min(N, 4)
    std = torch.sqrt(out.view(group, -1, 1, C, H, W).var(0, unbiased=False) + 1e-8)
    std = std.mean([2, 3, 4], keepdim=True).squeeze(2).repeat(group, 1, H, W)
    out = ros_conv_layer(torch.cat([out, std], 1), sd, "final_conv", 3).view(N, -1)
    return ros_equal_linear(ros_equal_linear(out, sd, "final_linear.0", activate=True), sd, "final_linear.1")


# ------------------------------------------------------------------ helpers


def random_nets(name, seed=0):
    """``(cfg, G, D, G_ema)`` with every parameter and buffer randomised (noise strengths non-zero).

    rosinality files hold one ``latent_avg``, which becomes the ``w_avg`` of both G and G_ema.
    """
    cfg = model_config("stylegan2", **CONFIGS[name])
    torch.manual_seed(seed)
    nets = [build_generator(cfg), build_discriminator(cfg), build_generator(cfg)]
    with torch.no_grad():
        for net in nets:
            for key, t in net.state_dict().items():
                if not key.endswith("resample_filter"):
                    t.add_(0.2 * torch.randn_like(t))
        nets[2].mapping.w_avg.copy_(nets[0].mapping.w_avg)  # as in training: G_ema copies G's buffers
    return cfg, *[net.eval() for net in nets]


def randomized(sd):
    """Same keys and shapes, fresh values (blur kernels kept): a generic rosinality state dict."""
    out = {}
    for key, t in sd.items():
        if key.endswith("kernel"):
            out[key] = t
        elif key.endswith("modulation.bias"):
            out[key] = 1 + 0.2 * torch.randn_like(t)
        else:
            out[key] = torch.randn_like(t) * (0.3 if "bias" in key or "noise.weight" in key else 1)
    return out


def assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_roundtrip_is_exact(tmp_path, name):
    cfg, G, D, G_ema = random_nets(name)
    path = export_rosinality(G, tmp_path / "net.pt", D=D, G_ema=G_ema)
    raw = torch.load(path, weights_only=True)  # plain tensors: no allow-listing needed
    assert set(raw) == {"g", "g_ema", "d", "latent_avg", "args"}
    assert raw["g_ema"]["convs.0.conv.weight"].shape[0] == 1 and raw["g_ema"]["to_rgb1.bias"].ndim == 4
    imported = open_networks(path)
    assert imported.model_config == cfg and imported.source == "rosinality/stylegan2-pytorch"
    for key, net in (("G", G), ("D", D), ("G_ema", G_ema)):
        assert_same_state(imported.state_dicts[key], net.state_dict())
    G2, D2 = imported.build("G_ema"), imported.build("D")
    z = torch.randn(4, cfg.z_dim)
    with torch.no_grad():
        img = G_ema(z, truncation_psi=0.7, noise_mode="const")
        assert torch.equal(G2(z, truncation_psi=0.7, noise_mode="const"), img)
        assert torch.equal(D2(img), D(img))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_imported_networks_match_rosinality_forward(tmp_path, name):
    cfg, G, D, _ = random_nets(name)
    export_rosinality(G, tmp_path / "layout.pt", D=D)
    raw = torch.load(tmp_path / "layout.pt", weights_only=True)
    g_sd, d_sd = randomized(raw["g_ema"]), randomized(raw["d"])
    latent_avg = torch.randn(cfg.w_dim)
    torch.save({"g_ema": g_sd, "d": d_sd, "latent_avg": latent_avg}, tmp_path / "ros.pt")
    imported = open_networks(tmp_path / "ros.pt")
    G2, D2 = imported.build("G_ema"), imported.build("D")
    z = torch.randn(3, cfg.z_dim)
    with torch.no_grad():
        for psi in (1.0, 0.6):
            ref = ros_generator(g_sd, z, truncation=psi, truncation_latent=latent_avg)
            ours = G2(z, truncation_psi=psi, noise_mode="const")
            assert ref.shape == ours.shape == (3, 3, cfg.img_resolution, cfg.img_resolution)
            assert (ours - ref).abs().max() < 1e-5 * max(1.0, ref.abs().max())
        img = torch.randn(8, 3, cfg.img_resolution, cfg.img_resolution)  # two minibatch-stddev groups of 4
        ref_logits = ros_discriminator(d_sd, img)
        assert (D2(img) - ref_logits).abs().max() < 1e-5 * max(1.0, ref_logits.abs().max())


def test_train_py_checkpoint_with_args_and_optimizers(tmp_path):
    cfg, G, D, G_ema = random_nets("res16")
    export_rosinality(G, tmp_path / "a.pt", D=D, G_ema=G_ema)
    raw = torch.load(tmp_path / "a.pt", weights_only=True)
    params = [torch.nn.Parameter(t.clone()) for t in raw["g"].values() if t.is_floating_point()]
    opt = torch.optim.Adam(params, lr=0.002, betas=(0.0, 0.99))
    sum(p.square().sum() for p in params).backward()
    opt.step()
    args = argparse.Namespace(size=16, latent=16, n_mlp=2, channel_multiplier=2, path="lmdb", r1=10.0)
    torch.save({"g": raw["g"], "d": raw["d"], "g_ema": raw["g_ema"], "g_optim": opt.state_dict(),
                "d_optim": opt.state_dict(), "args": args, "ada_aug_p": 0.25}, tmp_path / "100000.pt")
    imported = open_networks(tmp_path / "100000.pt")
    assert sorted(imported.state_dicts) == ["D", "G", "G_ema"] and imported.model_config == cfg
    assert imported.metadata["args"]["path"] == "lmdb" and imported.metadata["ada_aug_p"] == 0.25
    assert imported.metadata["w_avg"].startswith("estimated")  # train.py files keep no latent_avg
    z = torch.randn(4096, cfg.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = G_ema.mapping(z, None)[:, 0].mean(0)
    assert torch.allclose(imported.state_dicts["G_ema"]["mapping.w_avg"], expected, atol=1e-5)


def test_bare_state_dict_psp_layout_and_missing_noise(tmp_path):
    cfg, G, _, _ = random_nets("res16")
    export_rosinality(G, tmp_path / "g.pt")
    raw = torch.load(tmp_path / "g.pt", weights_only=True)
    torch.save(raw["g_ema"], tmp_path / "bare.pth")
    assert_same_state({k: v for k, v in open_networks(tmp_path / "bare.pth").state_dicts["G_ema"].items()
                       if k != "mapping.w_avg"}, {k: v for k, v in G.state_dict().items() if k != "mapping.w_avg"})
    state = {"encoder.conv.weight": torch.randn(2, 2), **{f"decoder.{k}": v for k, v in raw["g_ema"].items()}}
    torch.save({"state_dict": state, "latent_avg": G.mapping.w_avg.repeat(6, 1), "opts": {"n_styles": 6}},
               tmp_path / "psp.pt")
    assert_same_state(open_networks(tmp_path / "psp.pt").state_dicts["G_ema"], G.state_dict())
    no_noise = {k: v for k, v in raw["g_ema"].items() if not k.startswith("noises.")}
    torch.save({"g_ema": no_noise}, tmp_path / "old.pt")
    old = open_networks(tmp_path / "old.pt")
    assert not old.state_dicts["G_ema"]["synthesis.b8.conv0.noise_const"].any() and "noise_const" in old.metadata


class Payload:
    """Unpickling this would create a folder: the loader must refuse before anything runs."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.makedirs, (self.target,)


def test_refuses_arbitrary_objects_and_foreign_files(tmp_path):
    _, G, _, _ = random_nets("res16")
    export_rosinality(G, tmp_path / "g.pt")
    raw = torch.load(tmp_path / "g.pt", weights_only=True)
    marker = tmp_path / "pwned"
    torch.save({"g_ema": raw["g_ema"], "extra": Payload(str(marker))}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match=r"evil.pt: refusing to load.*could run code.*makedirs"):
        open_networks(tmp_path / "evil.pt")
    assert not marker.exists()
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="junk.pt: not a readable torch file"):
        open_networks(tmp_path / "junk.pt")
    torch.save({"g_ema": {**raw["g_ema"], "convs.0.wavelet": torch.zeros(1)}}, tmp_path / "swagan.pt")
    with pytest.raises(ValueError, match=r"swagan.pt: .*convs.0.wavelet"):
        open_networks(tmp_path / "swagan.pt")
    torch.save({"model": {"a": torch.zeros(1)}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no rosinality networks found"):
        open_networks(tmp_path / "other.pt")


def test_export_refuses_what_rosinality_cannot_express(tmp_path):
    for kwargs, match in ((dict(c_dim=3), "unconditional"), (dict(g_architecture="resnet"), "skip"),
                          (dict(mapping_lr_multiplier=0.1), "lr multiplier")):
        G = build_generator(model_config("stylegan2", **{**CONFIGS["res16"], **kwargs}))
        with pytest.raises(ValueError, match=match):
            export_rosinality(G, tmp_path / "x.pt")
    cfg = model_config("stylegan2", **CONFIGS["res16"], mbstd_group_size=2)
    with pytest.raises(ValueError, match="group 4"):
        export_rosinality(build_generator(cfg), tmp_path / "x.pt", D=build_discriminator(cfg))
    assert not (tmp_path / "x.pt").exists()


def test_ganforge_load_reads_pt(tmp_path):
    cfg, G, D, G_ema = random_nets("res16")
    path = export_rosinality(G, tmp_path / "net.pt", D=D, G_ema=G_ema)
    net = ganforge.load(path)
    assert net.D is not None and net.model_config == cfg and net.config["imported_from"]["source"].startswith("rosinality")
    images = net.generate("0-1", psi=0.8)
    assert images.shape == (2, 16, 16, 3) and images.dtype == torch.uint8


@pytest.mark.slow
@pytest.mark.parametrize("multiplier", [1, 2])
def test_real_rosinality_channel_layouts(tmp_path, multiplier):
    """Generator(64, 64, 2, channel_multiplier=m): 512 channels up to 32x32, 256*m at 64x64."""
    cfg = model_config("stylegan2", img_resolution=64, z_dim=64, w_dim=64, mapping_layers=2,
                       channel_base=16384 * multiplier, channel_max=512)
    G = build_generator(cfg).eval()
    assert rosinality_channel_multiplier(G) == multiplier
    export_rosinality(G, tmp_path / "g.pt")
    raw = torch.load(tmp_path / "g.pt", weights_only=True)
    assert raw["args"] == {"size": 64, "latent": 64, "n_mlp": 2, "channel_multiplier": multiplier}
    assert raw["g_ema"]["to_rgbs.3.conv.weight"].shape == (1, 3, 256 * multiplier, 1, 1)
    imported = open_networks(tmp_path / "g.pt")
    assert imported.model_config == cfg
    z = torch.randn(2, 64)
    with torch.no_grad():
        ref = ros_generator(raw["g_ema"], z)
        assert (imported.build("G_ema")(z, noise_mode="const") - ref).abs().max() < 1e-4
