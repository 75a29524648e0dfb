"""AugmentPipe: p = 0 is the identity, every op changes images at p = 1 and is differentiable, presets, RNG use."""

import pytest
import torch

from ganforge.augment import AUGPIPES, AugmentPipe, AugmentSpec, augpipe_spec, build_augment

OPS = ["xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac", "brightness", "contrast", "lumaflip", "hue",
       "saturation", "imgfilter", "noise", "cutout"]


def images(n=4, c=3, res=16, dtype=torch.float32):
    g = torch.Generator().manual_seed(123)
    return torch.rand([n, c, res, res], generator=g, dtype=dtype) * 2 - 1


def test_p_zero_is_the_identity_exactly_and_draws_nothing():
    x = images()
    pipe = AugmentPipe(augpipe_spec("bgcfnc"), p=0.0)
    state = torch.get_rng_state()
    y = pipe(x)
    assert torch.equal(y, x)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("op", OPS)
def test_every_op_at_p_one_changes_images(op):
    x = images(n=8)
    torch.manual_seed(1)
    y = AugmentPipe(AugmentSpec(**{op: 1.0}), p=1.0)(x)
    assert y.shape == x.shape
    changed = (y - x).flatten(1).abs().amax(dim=1) > 1e-4
    assert changed.any(), f"{op} changed no image"


@pytest.mark.parametrize("op", OPS)
def test_every_op_is_differentiable_gradcheck(op):
    x = images(n=2, res=8, dtype=torch.float64).requires_grad_(True)
    pipe = AugmentPipe(AugmentSpec(**{op: 1.0}), p=1.0)

    def f(inp):
        torch.manual_seed(3)  # the same random parameters on every evaluation
        return pipe(inp)

    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5, fast_mode=True)


def test_second_order_gradients_flow_for_r1():
    """R1 differentiates D(augment(x)) w.r.t. x and then backpropagates through that gradient."""
    x = images(n=2, res=8).requires_grad_(True)
    pipe = AugmentPipe(augpipe_spec("bgcfnc"), p=1.0)
    w = torch.randn([3, 8, 8])
    out = (pipe(x).tanh() * w).sum()
    (grad,) = torch.autograd.grad(out, x, create_graph=True)
    grad.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_probability_is_per_sample():
    """xflip with multiplier 1 at p = 0.5: a sample is flipped with probability 0.5 * 0.5 (apply, then flip)."""
    x = images(n=400, res=4)
    torch.manual_seed(0)
    y = AugmentPipe(AugmentSpec(xflip=1.0), p=0.5)(x)
    flipped = (y == x.flip(3)).flatten(1).all(dim=1)
    same = (y == x).flatten(1).all(dim=1)
    assert bool((flipped | same).all())
    assert 0.17 < flipped.float().mean().item() < 0.33


def test_same_seed_same_augmentation():
    x = images()
    pipe = AugmentPipe(augpipe_spec("bgcfnc"), p=0.7)
    torch.manual_seed(5)
    a = pipe(x)
    torch.manual_seed(5)
    b = pipe(x)
    torch.manual_seed(6)
    c = pipe(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_presets_and_bad_names():
    assert set(AUGPIPES.names()) == {"blit", "geom", "color", "filter", "noise", "cutout", "bg", "bgc", "bgcf",
                                     "bgcfn", "bgcfnc"}
    bgc = augpipe_spec("bgc")
    assert (bgc.xflip, bgc.rotate, bgc.hue, bgc.imgfilter, bgc.noise, bgc.cutout) == (1, 1, 1, 0, 0, 0)
    assert augpipe_spec("bgcfnc").cutout == 1 and augpipe_spec("blit").scale == 0
    with pytest.raises(ValueError, match="bgcx"):
        augpipe_spec("bgcx")
    with pytest.raises(ValueError, match="--aug"):
        build_augment("sometimes")
    with pytest.raises(ValueError, match="--p"):
        build_augment("ada", p=1.5)
    with pytest.raises(ValueError, match="xflip"):
        AugmentSpec(xflip=-1)
    assert build_augment("noaug") is None


def test_set_p_clamps_and_is_a_buffer():
    pipe = AugmentPipe(augpipe_spec("bgc"))
    pipe.set_p(1.7)
    assert float(pipe.p) == 1.0
    pipe.set_p(-0.2)
    assert float(pipe.p) == 0.0
    assert "p" in dict(pipe.named_buffers())
