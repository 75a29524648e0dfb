import random

import numpy as np
import pytest
import torch

from ganforge.inference import class_labels, generate_images, load
from ganforge.utils.images import to_uint8
from ganforge.utils.seeds import z_from_seeds

from .conftest import tiny_nets, write_run

SEEDS = [0, 1, 7, 42, 2**32 - 1, 5, 3]


def close(a, b):
    """Same images up to float rounding across batch shapes: at most 1 level off, in rare pixels."""
    diff = (a.int() - b.int()).abs()
    return diff.max().item() <= 1 and (diff > 0).float().mean().item() < 0.01


@pytest.fixture(scope="module")
def G():
    return tiny_nets()[3].eval()


def test_matches_official_latents_and_to_uint8(G):
    out = generate_images(G, SEEDS, psi=0.7, batch_size=len(SEEDS))
    assert out.dtype == torch.uint8 and out.shape == (len(SEEDS), 16, 16, 3)
    z = torch.from_numpy(np.stack([np.random.RandomState(s).randn(16) for s in SEEDS])).float()
    with torch.no_grad():
        ref = to_uint8(G(z, truncation_psi=0.7, noise_mode="const"))
    assert np.array_equal(out.numpy(), ref)
    assert out.float().std() > 10  # real images, not a constant


@pytest.mark.parametrize("noise_mode", ["const", "random", "none"])
def test_deterministic_per_seed_and_independent_of_batch_and_neighbours(G, noise_mode):
    full = generate_images(G, SEEDS, noise_mode=noise_mode, batch_size=32)
    assert torch.equal(full, generate_images(G, SEEDS, noise_mode=noise_mode, batch_size=32))
    for bs in (1, 3):
        assert close(full, generate_images(G, SEEDS, noise_mode=noise_mode, batch_size=bs))
    alone = generate_images(G, [42], noise_mode=noise_mode)
    assert close(alone[0], full[3])
    # With batch size 1 the neighbours do not exist for the network: bit-identical.
    one = generate_images(G, [9, 42, 11], noise_mode=noise_mode, batch_size=1)
    assert torch.equal(one[1], generate_images(G, [3, 42], noise_mode=noise_mode, batch_size=1)[1])


def test_noise_modes_differ_and_random_noise_leaves_global_rng_alone(G):
    const = generate_images(G, [1, 2], noise_mode="const")
    rand = generate_images(G, [1, 2], noise_mode="random")
    none = generate_images(G, [1, 2], noise_mode="none")
    assert not torch.equal(const, rand) and not torch.equal(const, none) and not torch.equal(rand, none)
    torch.manual_seed(123)
    random.seed(5)
    expected = torch.rand(3)
    torch.manual_seed(123)
    generate_images(G, [1, 2], noise_mode="random")
    assert torch.equal(torch.rand(3), expected)


def test_truncation_psi_zero_gives_w_avg_image(G):
    out = generate_images(G, [0, 1, 2], psi=0.0)
    assert torch.equal(out[0], out[1]) and torch.equal(out[1], out[2])
    cut = generate_images(G, [0, 1], psi=0.0, truncation_cutoff=2)
    assert not torch.equal(cut[0], cut[1])  # the layers after the cutoff still see their own w


def test_bad_arguments(G):
    for kwargs, msg in (({"noise_mode": "fresh"}, "noise mode"), ({"batch_size": 0}, "batch size"),
                        ({"truncation_cutoff": -1}, "cutoff"), ({"class_idx": 0}, "unconditional")):
        with pytest.raises(ValueError, match=msg):
            generate_images(G, [0], **kwargs)
    for seeds in ([], [-1], [2**32]):
        with pytest.raises(ValueError, match="seed"):
            generate_images(G, seeds)


def test_conditional_class(tmp_path):
    net = load(write_run(tmp_path, c_dim=4))
    with pytest.raises(ValueError, match=r"conditional \(c_dim=4\).*\[0, 3\]"):
        net.generate([0])
    with pytest.raises(ValueError, match="out of range"):
        net.generate([0], class_idx=4)
    a, b = net.generate("0-1", class_idx=1), net.generate([0, 1], class_idx=2)
    assert a.shape == (2, 16, 16, 3) and not torch.equal(a, b)
    c = class_labels(4, 2, 3)
    assert torch.equal(c, torch.tensor([[0.0, 0, 1, 0]] * 3))
    z = z_from_seeds([0, 1], 16)
    with torch.no_grad():
        ref = to_uint8(net.G(z, class_labels(4, 1, 2), noise_mode="const"))
    assert np.array_equal(a.numpy(), ref)


def test_loaded_generate_accepts_text_and_int_seeds(run_dir):
    net = load(run_dir)
    assert torch.equal(net.generate("3,5"), net.generate([3, 5]))
    assert torch.equal(net.generate(5)[0], net.generate([3, 5])[1])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_random_noise_is_per_seed_and_leaves_cuda_rng_alone(run_dir):
    net = load(run_dir, device="cuda")
    torch.cuda.manual_seed_all(3)
    expected = torch.rand(3, device="cuda")
    torch.cuda.manual_seed_all(3)
    a = net.generate([4, 5, 6], noise_mode="random", batch_size=3)
    assert torch.equal(torch.rand(3, device="cuda"), expected)
    assert close(a[1:2], net.generate([5], noise_mode="random"))


def test_generate_from_a_generator_without_mapping():
    """DCGAN-family generators have no W space: generate calls G(z, c) with the official seed latents."""
    from ganforge.inference.generate import generate_images
    from ganforge.models import build_generator, model_config
    from ganforge.utils.seeds import z_from_seeds

    G = build_generator(model_config("dcgan", img_resolution=16, z_dim=8)).eval()
    images = generate_images(G, [3, 4], batch_size=1)
    with torch.no_grad():
        expected = G(z_from_seeds([3, 4], 8))
    assert images.shape == (2, 16, 16, 3)
    assert torch.equal(images, torch.from_numpy(to_uint8(expected)))
    with pytest.raises(ValueError, match="mapping"):
        generate_images(G, [0], psi=0.5)
