import dataclasses
import json

import pytest

import ganforge as gf
from ganforge.config import Config
from ganforge.models import MODELS, ModelSpec, build_discriminator, build_generator, list_models, model_config, model_config_from_dict
from ganforge.registry import Registry


def test_stylegan2_config_json_round_trip(tmp_path):
    cfg = model_config("stylegan2", img_resolution=64, c_dim=3, conv_clamp=256, w_avg_beta=None, g_architecture="resnet")
    again = model_config_from_dict(json.loads(cfg.to_json()))
    assert again == cfg and isinstance(again.resample_filter, tuple)
    cfg.to_json(tmp_path / "config.json")
    assert gf.StyleGAN2Config.from_json(tmp_path / "config.json") == cfg
    assert cfg.replace(img_resolution=128).img_resolution == 128


@pytest.mark.parametrize("data,match", [
    ({"name": "stylegan2", "img_res": 64}, "unknown key"),
    ({"name": "stylegan2", "img_resolution": "64"}, "must be an integer"),
    ({"name": "stylegan2", "img_resolution": 48}, "power of two"),
    ({"name": "stylegan2", "g_architecture": "unet"}, "must be one of"),
    ({"name": "stylegan2", "mapping_lr_multiplier": True}, "must be a number"),
    ({"name": "stylegan2", "img_channels": 7}, "img_channels"),
    ({"name": "nosuchgan"}, "unknown model"),
    ({"img_resolution": 64}, "'name'"),
])
def test_bad_configs_are_rejected(data, match):
    with pytest.raises(ValueError, match=match):
        model_config_from_dict(data)


def test_from_json_reports_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        gf.StyleGAN2Config.from_json(path)


def test_registry_behaviour():
    reg = Registry("thing")
    reg.register("a", 1)

    @reg.register("b")
    def make_b():
        return 2

    assert reg.get("a") == 1 and reg.get("b")() == 2 and reg.names() == ["a", "b"] and "a" in reg and len(reg) == 2
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 3)
    with pytest.raises(ValueError, match="unknown thing 'c'; known: a, b"):
        reg.get("c")


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_builds_from_its_default_config(name):
    """Contract test over the registry: tiny config -> G and D forward, config round-trips."""
    spec = MODELS.get(name)
    assert isinstance(spec, ModelSpec) and issubclass(spec.config_cls, Config)
    tiny = dict(img_resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=32, channel_max=4)
    fields = {f.name for f in dataclasses.fields(spec.config_cls)}  # each family takes the knobs it has
    cfg = model_config(name, **{k: v for k, v in tiny.items() if k in fields})
    assert model_config_from_dict(cfg.to_dict()) == cfg
    G, D = build_generator(cfg), build_discriminator(cfg)
    import torch
    img = G(torch.randn(2, 8))
    logits = D(img)  # [N, 1], or patch logits [N, K] (the projected D, fastgan's default)
    assert img.shape == (2, 3, 8, 8) and logits.ndim == 2 and logits.shape[0] == 2


def test_build_rejects_foreign_config():
    class Other(Config):
        pass

    with pytest.raises(ValueError, match="unknown model"):
        build_generator(Other())
