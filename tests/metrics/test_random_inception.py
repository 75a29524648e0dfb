import pytest
import torch

from ganforge.backbones.inception import FIDInceptionV3
from ganforge.backbones.random_inception import (
    RANDOM_INCEPTION_SEED,
    RANDOM_INCEPTION_SHA256,
    random_inception,
    random_inception_state_dict,
    state_dict_sha256,
)
from ganforge.metrics.standardize import feature_mean_std, standardize_features

# Pinned once with torch 2.13 CPU / numpy on x86-64 Linux:
#   state_dict_sha256(random_inception_state_dict(RANDOM_INCEPTION_SEED))
# The generation uses only numpy PCG64 float64 draws, multiply/subtract and a float32 cast, so the digest is
# platform independent. If it changes, every published ganforge rFID/rKID number changes with it: don't re-pin
# without bumping RANDOM_INCEPTION_SEED's documentation and release notes.
PINNED_SHA256 = "f10f42e3389ca18e219a6e826f23e0d571d063788b81608993df3cbd0b88ff0a"



@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return random_inception_state_dict()


def test_pinned_checksum(state):
    assert RANDOM_INCEPTION_SEED == 20231108
    assert state_dict_sha256(state) == PINNED_SHA256
    assert RANDOM_INCEPTION_SHA256 == PINNED_SHA256  # the digest recorded in every rFID result


def test_layout_and_init_statistics(state):
    with torch.device("meta"):
        template = FIDInceptionV3().state_dict()
    assert list(state) == list(template)
    assert all(state[k].shape == template[k].shape for k in state)
    w = state["Mixed_6b.branch7x7_2.conv.weight"]  # [128, 128, 1, 7], fan_in 896
    assert w.dtype == torch.float32
    assert abs(w.var().item() - 2 / 896) < 0.1 * 2 / 896  # He variance
    assert torch.equal(state["Mixed_5b.branch1x1.bn.running_var"], torch.ones(64))
    a, b = state["Mixed_5b.branch1x1.conv.weight"], state["Mixed_5c.branch1x1.conv.weight"]
    assert not torch.equal(a[:, :64], b[:, :64])  # per-tensor streams differ


def test_seed_changes_weights(state):
    other = random_inception_state_dict(seed=1)
    assert state_dict_sha256(other) != PINNED_SHA256
    assert not torch.equal(other["fc.weight"], state["fc.weight"])


def test_features_have_usable_scale():
    net = random_inception()
    img = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        feats = net(img)
    assert feats.shape == (2, 2048)
    assert 1e-2 < feats.std().item() < 1e2  # default init would give ~1e-8 (REFERENCE §4b)


def test_standardize_features():
    g = torch.Generator().manual_seed(0)
    scales = torch.tensor([1e-8, 1.0, 5.0, 0.0], dtype=torch.float64)
    ref = torch.randn(500, 4, generator=g, dtype=torch.float64) * scales + 3.0
    mean, std = feature_mean_std(ref)
    z = standardize_features(ref, mean, std)
    assert torch.allclose(z[:, :3].mean(0), torch.zeros(3, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(z[:, :3].std(0, correction=0), torch.ones(3, dtype=torch.float64), atol=1e-6)
    assert torch.equal(z[:, 3], torch.zeros(500, dtype=torch.float64))  # constant dimension is only centred
    fake = ref + 1.0
    assert torch.allclose(standardize_features(fake, mean, std)[:, 3], torch.ones(500, dtype=torch.float64))
    with pytest.raises(ValueError):
        standardize_features(ref, mean[:2], std[:2])
    with pytest.raises(ValueError):
        feature_mean_std(ref[:1])
