"""The projected discriminator: frozen projection, trained heads, digest-only checkpoints, sizes, default loss."""

import hashlib
import warnings
from dataclasses import replace

import pytest
import torch

from ganforge.backbones import frozen_parameter_ids
from ganforge.backbones.efficientnet_lite import RANDOM_EFFICIENTNET_LITE0_SHA256
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.models import (DISCRIMINATORS, build_discriminator, build_generator, list_discriminators, list_models,
                             model_config)
from ganforge.models.projected import ProjectedDiscriminator, RandomFeaturesWarning
from ganforge.train import loop, setup
from ganforge.train.checkpoint import load_checkpoint, save_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.distributed import init_distributed
from ganforge.train.presets import resolve_config
from tests.backbones.test_efficientnet_lite import timm_layout_state_dict
from tests.conftest import single_thread
from tests.train.test_loop import make_folder_dataset, tiny_config

# many small convs: 1 thread is much faster than 2 busy ones (as in tests/backbones/conftest.py)
_one_thread = pytest.fixture(scope="module", autouse=True)(single_thread)

SMALL = {"backbone_res": 64, "mix_channels": 8, "head_channels": 8, "cmap_dim": 8}


def small_d(resolution: int = 16, c_dim: int = 0, **options) -> ProjectedDiscriminator:
    cfg = model_config("stylegan2", img_resolution=resolution, c_dim=c_dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomFeaturesWarning)
        return build_discriminator(cfg, "projected", {**SMALL, **options})


def projected_config(tmp_path, **overrides) -> TrainConfig:
    cfg = tiny_config(make_folder_dataset(tmp_path / "data"), tmp_path / "runs", **overrides)
    return replace(cfg, model=replace(cfg.model, d="projected", d_options=SMALL))


def test_pairs_with_every_family_and_defaults_to_hinge():
    assert all("projected" in list_discriminators(family) for family in list_models())
    spec = DISCRIMINATORS.get("projected")
    assert spec.default_loss == "hinge"
    for loss, d, expected in ((None, "projected", "hinge"), ("lsgan", "projected", "lsgan"),
                              (None, None, "nonsaturating")):
        cfg = TrainConfig.from_dict({"model": {"d": d}, "loss": {"adversarial": loss}})
        assert resolve_config(cfg, resolution=16, img_channels=3, c_dim=0).loss.adversarial == expected
    with pytest.raises(ValueError, match="ProjectedOptions has no field 'backbone_size'|backbone_size"):
        resolve_config(TrainConfig.from_dict({"model": {"d": "projected", "d_options": {"backbone_size": 3}}}),
                       resolution=16, img_channels=3, c_dim=0)
    with pytest.raises(ValueError, match="takes no options"):
        resolve_config(TrainConfig.from_dict({"model": {"d_options": {"backbone_res": 64}}}),
                       resolution=16, img_channels=3, c_dim=0)


@pytest.mark.parametrize("resolution", [16, 32, 64, 128, 256])
def test_works_for_16_to_256_px(resolution):
    D = small_d(resolution)
    img = torch.randn(2, 3, resolution, resolution, requires_grad=True)
    logits = D(img)
    # heads at 16/8/4/2 px feature maps (64 px backbone input): 5x5 + 5x5 + 1 + 1 patch logits
    assert logits.shape == (2, 25 + 25 + 1 + 1)
    logits.sum().backward()
    assert img.grad is not None and img.grad.abs().sum() > 0  # G gets gradients through the frozen projection
    assert [tuple(f.shape) for f in D.feature_maps(img.detach())] == [(2, 8, 16, 16), (2, 16, 8, 8), (2, 32, 4, 4),
                                                                     (2, 64, 2, 2)]


def test_paper_resolution_and_grey_images():
    D = small_d(32, backbone_res=224)
    assert D(torch.randn(1, 3, 32, 32)).shape == (1, 4 * 16)  # 56/28/14/7 px maps, each down to 7 px -> 4x4 patches
    grey = build_discriminator(model_config("stylegan2", img_resolution=16, img_channels=1), "projected", SMALL)
    assert grey(torch.randn(2, 1, 16, 16)).shape == (2, 52)


def test_conditional_by_projection():
    D = small_d(16, c_dim=3).eval()
    img = torch.randn(2, 3, 16, 16)
    a, b = D(img, torch.eye(3)[[0, 0]]), D(img, torch.eye(3)[[1, 1]])
    assert a.shape == (2, 52) and not torch.allclose(a, b)
    with pytest.raises(ValueError, match="conditional"):
        D(img)


def test_projection_gets_no_gradients_and_no_optimiser_state_while_heads_train(tmp_path):
    cfg = projected_config(tmp_path)
    env = init_distributed("cpu")
    dataset = setup.open_dataset(cfg)
    cfg = setup.resolve(cfg, dataset, env)
    assert cfg.loss.adversarial == "hinge"
    nets = setup.build_nets(cfg, env)
    D = nets.D
    assert isinstance(D, ProjectedDiscriminator) and not D.projection.training
    frozen = frozen_parameter_ids(D)
    assert frozen == {id(p) for p in D.projection.parameters()}  # backbone and both mixing layers
    assert {id(p) for p in D.trainable_parameters()} == {id(p) for p in D.heads.parameters()}
    runners = setup.build_phases(cfg, nets)
    objective = setup.build_objective(cfg, env.device, nets, setup.build_terms(cfg, nets, env.device))
    state = setup.TrainState(sampler=setup.InfiniteSampler(len(dataset), seed=cfg.run.seed))
    projection_before = {k: v.clone() for k, v in D.projection.net.state_dict().items()}
    heads_before = {k: v.clone() for k, v in D.heads.state_dict().items()}
    from ganforge.train.ada import AdaTuner
    from ganforge.train.stats import TickStats

    terms = setup.build_terms(cfg, nets, env.device)
    ada = AdaTuner(cfg.augment, cfg.run.batch, objective.augment, env, terms["ada"])
    for _ in range(2):
        real_img, real_c = loop._fetch_reals(cfg, dataset, state, env)
        for idx, runner in enumerate(runners):
            if runner.phase.is_due(state.batch_idx):
                loop._run_phase(cfg, env, nets, runner, idx, objective, dataset, state, real_img, real_c, TickStats(),
                                ada, terms)
                assert all(p.grad is None for p in D.projection.parameters())
        state.cur_nimg += cfg.run.batch
        state.batch_idx += 1
    opt = setup.optimizers(runners)["D"]
    assert opt.state and not frozen & {id(p) for p in opt.state}
    assert all(torch.equal(v, projection_before[k]) for k, v in D.projection.net.state_dict().items())
    assert any(not torch.equal(v, heads_before[k]) for k, v in D.heads.state_dict().items())


def test_checkpoint_keeps_only_the_digest_and_the_loss_survives_save_and_load(tmp_path):
    torch.manual_seed(0)
    D = small_d(16).eval()
    state = D.state_dict()
    assert not any(k.startswith("projection.net.") for k in state)
    assert bytes(state["projection.weights_sha256"].tolist()).hex() == D.projection.weights_sha256
    path = tmp_path / "d.safetensors"
    save_checkpoint(path, modules={"D": D}, optimizers={}, config={}, state={})
    assert path.stat().st_size < 1_000_000  # the 4.65 M frozen weights are not in it
    torch.manual_seed(1)
    fresh = small_d(16).eval()
    real, fake = torch.randn(4, 3, 16, 16), torch.randn(4, 3, 16, 16)
    hinge = get_adversarial_loss("hinge")

    def loss(net):
        with torch.no_grad():
            d_real, d_fake = hinge.discriminator(net(real), net(fake))
        return (d_real + d_fake).mean()

    assert loss(fresh) != loss(D)
    fresh.load_state_dict(load_checkpoint(path).modules["D"])
    assert loss(fresh) == loss(D)
    other = small_d(16, mixing_seed=1)  # other mixing weights: another projection, refused in one line
    with pytest.raises(ValueError, match="backbone weights differ") as err:
        other.load_state_dict(load_checkpoint(path).modules["D"])
    assert "\n" not in str(err.value)


def test_random_features_are_announced_and_deterministic(tmp_path, monkeypatch):
    monkeypatch.delenv("GANFORGE_EFFICIENTNET_LITE0", raising=False)
    with pytest.warns(RandomFeaturesWarning, match="random features"):
        a = build_discriminator(model_config("stylegan2", img_resolution=16), "projected", SMALL)
    b = small_d(16)
    assert a.projection.weights_sha256 == b.projection.weights_sha256
    assert a.projection.weights_file is None and a.projection.name == "random_efficientnet_lite0"
    net = a.projection.net.features
    from ganforge.backbones.weights import state_dict_sha256

    assert state_dict_sha256(net.state_dict()) == RANDOM_EFFICIENTNET_LITE0_SHA256


def test_pretrained_weights_from_a_file_with_sha256(tmp_path):
    path = tmp_path / "lite0.pth"
    torch.save(timm_layout_state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RandomFeaturesWarning)  # a file given: no random-features warning
        D = small_d(16, weights=str(path), sha256=digest)
    assert D.projection.weights_file == path and D.projection.name == "efficientnet_lite0"
    assert D.projection.weights_sha256 != small_d(16).projection.weights_sha256
    with pytest.raises(ValueError, match="sha256 mismatch"):
        small_d(16, weights=str(path), sha256="0" * 64)


def test_diffaugment_runs_inside_d_in_training_mode_only():
    D = small_d(16, mix_channels=8)
    img = torch.randn(2, 3, 16, 16)
    D.eval()
    assert torch.equal(D(img), D(img))
    D.train()
    torch.manual_seed(0)
    a = D(img)
    torch.manual_seed(1)
    assert not torch.allclose(a, D(img))
    assert small_d(16, diffaug="").augment is None


def test_patch_logits_are_scored_per_patch():
    hinge = get_adversarial_loss("hinge")
    real = torch.tensor([[2.0, 0.0], [-1.0, 0.5]])
    fake = torch.tensor([[-2.0, 0.0], [1.0, -0.5]])
    d_real, d_fake = hinge.discriminator(real, fake)
    torch.testing.assert_close(d_real, torch.tensor([(0.0 + 1.0) / 2, (2.0 + 0.5) / 2]))  # mean of relu(1 - x)
    torch.testing.assert_close(d_fake, torch.tensor([(0.0 + 1.0) / 2, (2.0 + 0.5) / 2]))  # mean of relu(1 + x)
    torch.testing.assert_close(hinge.generator(fake), torch.tensor([1.0, -0.25]))
    paired = get_adversarial_loss("rpgan")
    assert paired.generator(fake, real).shape == (2,)
    with pytest.raises(ValueError, match="patch logits"):
        paired.generator(fake, real[:, :1].expand(2, 3))


@pytest.mark.parametrize("family", list_models())
def test_every_family_trains_against_it(family):
    """One G step and one D step of each family's tiny G against the projected D (hinge, through the projection)."""
    from tests.models.test_dcgan_contract import _model

    cfg = _model(family)
    G = build_generator(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomFeaturesWarning)
        D = build_discriminator(cfg, "projected", SMALL)
    hinge = get_adversarial_loss("hinge")
    hinge.generator(D(G(torch.randn(2, G.z_dim), None))).mean().backward()
    assert all(p.grad is not None for p in G.parameters() if p.requires_grad)
    d_real, d_fake = hinge.discriminator(D(torch.rand(2, 3, 16, 16) * 2 - 1), D(G(torch.randn(2, G.z_dim), None).detach()))
    (d_real + d_fake).mean().backward()
    assert all(p.grad is None for p in D.projection.parameters())
    assert all(p.grad is not None for p in D.heads.parameters())
