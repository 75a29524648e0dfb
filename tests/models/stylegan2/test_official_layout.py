"""The state_dict layout must match the official StyleGAN2-ADA networks (REFERENCE Part 1 section 5)."""

import pytest

from ganforge.models.stylegan2 import Discriminator, Generator

SMALL32_G = dict(z_dim=256, w_dim=256, img_resolution=32, mapping_layers=2, channel_base=16384, channel_max=256)
SMALL32_D = dict(img_resolution=32, channel_base=16384, channel_max=256)


def official_g_names(resolutions=(4, 8, 16, 32), c_dim=0):
    names = []
    for r in resolutions:
        block = [f"synthesis.b{r}.const"] if r == 4 else []
        block.append(f"synthesis.b{r}.resample_filter")
        for conv in (["conv1"] if r == 4 else ["conv0", "conv1"]):
            block += [f"synthesis.b{r}.{conv}.{k}" for k in ("weight", "noise_strength", "bias", "resample_filter", "noise_const", "affine.weight", "affine.bias")]
        block += [f"synthesis.b{r}.torgb.{k}" for k in ("weight", "bias", "affine.weight", "affine.bias")]
        names += block
    names.append("mapping.w_avg")
    if c_dim:
        names += ["mapping.embed.weight", "mapping.embed.bias"]
    names += ["mapping.fc0.weight", "mapping.fc0.bias", "mapping.fc1.weight", "mapping.fc1.bias"]
    return names


def test_generator_names_order_and_counts():
    G = Generator(**SMALL32_G)
    sd = G.state_dict()
    assert list(sd) == official_g_names()
    assert len(sd) == 75
    assert sum(p.numel() for p in G.parameters()) == 4_993_043
    assert sum(b.numel() for b in G.buffers()) == 3_136
    assert list(sd["synthesis.b32.conv0.noise_const"].shape) == [32, 32]
    assert sd["synthesis.b4.conv1.noise_strength"].shape == ()
    Gc = Generator(c_dim=4, **SMALL32_G)
    assert list(Gc.state_dict()) == official_g_names(c_dim=4)
    assert sum(p.numel() for p in Gc.parameters()) == 5_059_859
    assert list(Gc.state_dict()["mapping.fc0.weight"].shape) == [256, 512]


def test_discriminator_names_order_and_counts():
    D = Discriminator(**SMALL32_D)
    sd = D.state_dict()
    assert len(sd) == 37
    assert sum(p.numel() for p in D.parameters()) == 5_379_585
    assert sum(b.numel() for b in D.buffers()) == 224
    assert list(sd)[:12] == ["b32.resample_filter", "b32.fromrgb.weight", "b32.fromrgb.bias", "b32.fromrgb.resample_filter",
                             "b32.conv0.weight", "b32.conv0.bias", "b32.conv0.resample_filter", "b32.conv1.weight",
                             "b32.conv1.bias", "b32.conv1.resample_filter", "b32.skip.weight", "b32.skip.resample_filter"]
    assert list(sd)[30:] == ["b4.conv.weight", "b4.conv.bias", "b4.conv.resample_filter", "b4.fc.weight", "b4.fc.bias", "b4.out.weight", "b4.out.bias"]
    assert list(sd["b4.conv.weight"].shape) == [256, 257, 3, 3] and list(sd["b4.fc.weight"].shape) == [256, 4096]


def test_conditional_discriminator_mapping_placement():
    D = Discriminator(c_dim=4, **SMALL32_D)
    names = list(D.state_dict())
    assert len(names) == 55 and sum(p.numel() for p in D.parameters()) == 5_972_736
    first_mapping = names.index("mapping.embed.weight")
    assert names[first_mapping - 1].startswith("b8.") and names[first_mapping + 18].startswith("b4.")
    assert "mapping.w_avg" not in names
    assert list(D.state_dict()["b4.out.weight"].shape) == [256, 256]


@pytest.mark.parametrize("res,num_ws", [(32, 8), (64, 10), (256, 14)])
def test_num_ws(res, num_ws):
    assert Generator(z_dim=8, w_dim=8, mapping_layers=1, img_resolution=res, channel_base=64, channel_max=8).num_ws == num_ws


@pytest.mark.parametrize("kwargs,mapping,synthesis", [
    (dict(z_dim=256, w_dim=256, img_resolution=64, mapping_layers=2, channel_base=16384, channel_max=256), 131_584, 6_239_768),
    (dict(z_dim=512, w_dim=512, img_resolution=256, mapping_layers=8, channel_base=16384, channel_max=512), 2_101_248, 22_666_210),
])
def test_reference_parameter_counts(kwargs, mapping, synthesis):
    G = Generator(**kwargs)
    assert sum(p.numel() for p in G.mapping.parameters()) == mapping
    assert sum(p.numel() for p in G.synthesis.parameters()) == synthesis
