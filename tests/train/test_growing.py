"""Progressive growing (issue 18, item 2): the stage maths, the ``grow`` schedule, the fade-in blend of G, D and the
reals, Adam resets at stage boundaries, bit-exact resume mid-fade, and ``generate`` on a mid-growth snapshot."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from ganforge.cli.main import main
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.models.growing import blend_reals, downsample, fade, growth_stage, stage_of, upsample
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.train.loop import train
from ganforge.train.schedules import Schedule, grow, parse_schedule

from tests.train.test_loop import assert_same_checkpoints, make_folder_dataset, tiny_config


def _progan(**kwargs):
    values = dict(img_resolution=16, z_dim=8, channel_base=128, channel_max=16, mbstd_group_size=2, growing=True)
    values.update(kwargs)
    return model_config("progan", **values)


def _stylegan1(**kwargs):
    values = dict(img_resolution=16, z_dim=8, w_dim=8, mapping_layers=2, channel_base=128, channel_max=16,
                  mbstd_group_size=2, growing=True)
    values.update(kwargs)
    return model_config("stylegan1", **values)


def test_stage_of_level():
    res = [4, 8, 16, 32]
    assert [(s.resolution, s.alpha) for s in map(lambda l: stage_of(l, res), (0, 0.25, 1, 1.5, 2, 2.75, 3, 7))] == [
        (4, 1.0), (8, 0.25), (8, 1.0), (16, 0.5), (16, 1.0), (32, 0.75), (32, 1.0), (32, 1.0)]
    assert stage_of(-1, res).resolution == 4 and not stage_of(2, res).fading and stage_of(2.5, res).fading


def test_grow_schedule_gives_resolution_and_alpha_at_chosen_kimg():
    """fade 2 kimg, stabilise 3 kimg: 4 px until 3 kimg, 8 px fading in over 3..5, stable 5..8, 16 px fading 8..10,
    stable 10..13, 32 px fading 13..15, then stable (the level is clamped to the last stage)."""
    s = parse_schedule("growth=grow,fade_kimg=2,stabilize_kimg=3")
    assert (s.kind, s.fade_kimg, s.stabilize_kimg) == ("grow", 2.0, 3.0)
    res = [4, 8, 16, 32]
    want = {0: (4, 1.0), 2.9: (4, 1.0), 4: (8, 0.5), 5: (8, 1.0), 7.9: (8, 1.0), 8.5: (16, 0.25), 9.5: (16, 0.75),
            12: (16, 1.0), 14: (32, 0.5), 16: (32, 1.0), 100: (32, 1.0)}
    for kimg, (r, a) in want.items():
        stage = stage_of(s.value(kimg * 1000, base=0.0), res)
        assert (stage.resolution, stage.alpha) == (r, pytest.approx(a)), kimg
    assert grow(5000, start=1, fade_kimg=2, stabilize_kimg=3) == 2.0  # start=1: StyleGAN1 starting at 8 px
    assert grow(1000, start=0, fade_kimg=0, stabilize_kimg=1) == 0.0 and grow(1001, start=0, fade_kimg=0,
                                                                              stabilize_kimg=1) == 1.0
    with pytest.raises(ValueError, match="fade_kimg and stabilize_kimg"):
        Schedule(target="growth", kind="grow", fade_kimg=0, stabilize_kimg=0)


def test_box_downsample_and_reals_blend():
    torch.manual_seed(0)
    img = torch.randn(2, 3, 16, 16)
    box = downsample(img, 4)
    assert torch.allclose(box[0, 1, 2, 3], img[0, 1, 8:12, 12:16].mean())
    assert torch.allclose(downsample(upsample(box, 4), 4), box, atol=1e-6)  # D's average pool undoes G's nearest upsampling
    stable = stage_of(1, [4, 8, 16])  # 8 px stable
    assert torch.equal(blend_reals(img, stable), upsample(downsample(img, 2), 2))
    fading = stage_of(1.25, [4, 8, 16])  # 16 px fading in with alpha 0.25
    want = 0.75 * upsample(downsample(img, 2), 2) + 0.25 * img
    assert torch.allclose(blend_reals(img, fading), want, atol=1e-6)
    old, new = torch.randn(4), torch.randn(4)
    assert torch.equal(fade(old, new, 0.0), old) and torch.equal(fade(old, new, 1.0), new)


@pytest.mark.parametrize("make", [_progan, _stylegan1], ids=["progan", "stylegan1"])
def test_generator_fade_is_the_blend_of_old_upsampled_and_new(make):
    """``G(level k + a) = (1 - a) * G(level k) + a * G(level k + 1)``: alpha 0 is the old network's (upsampled)
    output, alpha 1 the new network's, in between the blend of the two."""
    torch.manual_seed(1)
    G = build_generator(make()).eval()
    z = torch.randn(3, 8)
    kw = {"noise_mode": "const"} if make is _stylegan1 else {}

    def at(level):
        G.set_growth_level(level)
        with torch.no_grad():
            return G(z, None, **kw)

    for k in (0, 1):
        old, new = at(k), at(k + 1)
        assert old.shape == new.shape == (3, 3, 16, 16)
        f = 16 // [4, 8][k]
        assert torch.allclose(old, upsample(downsample(old, f), f), atol=1e-6)  # stage-k pixels, upscaled
        for a in (0.25, 0.5, 0.9):
            torch.testing.assert_close(at(k + a), (1 - a) * old + a * new, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(old, new)


@pytest.mark.parametrize("make", [_progan, _stylegan1], ids=["progan", "stylegan1"])
def test_discriminator_fade_is_continuous_at_both_ends(make):
    torch.manual_seed(2)
    D = build_discriminator(make()).eval()
    img = torch.randn(4, 3, 16, 16)

    def at(level):
        D.set_growth_level(level)
        with torch.no_grad():
            return D(img, None)

    for k in (0, 1):
        torch.testing.assert_close(at(k + 1e-7), at(k), atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(at(k + 1 - 1e-7), at(k + 1), atol=1e-5, rtol=1e-4)
        assert not torch.allclose(at(k), at(k + 1))


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("c_dim", [0, 3])
def test_shapes_at_every_stage(channels, c_dim):
    for make in (_progan, _stylegan1):
        if make is _stylegan1 and channels == 2:
            continue
        cfg = make(img_channels=channels, c_dim=c_dim)
        G, D = build_generator(cfg), build_discriminator(cfg)
        c = torch.eye(3)[[0, 2]] if c_dim else None
        for level in (0, 0.5, 1, 1.5, 2):
            G.set_growth_level(level)
            D.set_growth_level(level)
            img = G(torch.randn(2, 8), c)
            assert img.shape == (2, channels, 16, 16)
            assert D(img, c).shape == (2, 1)
            assert growth_stage(G).resolution == [4, 8, 8, 16, 16][int(level * 2)]


def test_grown_network_loads_into_a_non_growing_one():
    """The final ToRGB / FromRGB keep their names: a fully grown G and D give the same outputs as the non-growing
    networks loaded with their weights (the per-stage layers are left out)."""
    torch.manual_seed(3)
    cfg = _progan()
    for build in (build_generator, build_discriminator):
        grown = build(cfg).eval()
        plain = build(_progan(growing=False)).eval()
        state = {k: v for k, v in grown.state_dict().items() if k in plain.state_dict()}
        plain.load_state_dict(state)
        x = torch.randn(2, 8) if build is build_generator else torch.randn(2, 3, 16, 16)
        with torch.no_grad():
            assert torch.allclose(grown(x, None), plain(x, None), atol=1e-6)


def test_adam_state_resets_when_a_fade_starts_and_ends():
    from types import SimpleNamespace

    from ganforge.train.growth import GrowthTerm

    cfg = _progan()
    nets = SimpleNamespace(G=build_generator(cfg), D=build_discriminator(cfg), G_ema=build_generator(cfg))
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p])
    hp = SimpleNamespace(value=lambda target, nimg: grow(nimg, start=0, fade_kimg=0.01, stabilize_kimg=0.02))
    term = GrowthTerm(nets, [opt], hp)
    events = []
    for nimg in range(0, 80, 4):
        p.grad = torch.ones(3)
        term.advance(nimg)
        events.append((nimg, bool(opt.state)))  # state before this step's update
        opt.step()
    cleared = [n for n, has in events[1:] if not has]
    # 4 px stable to 20 images; fade 20..30 (8 px), stable 30..50, fade 50..60 (16 px), stable 60..
    assert cleared == [24, 32, 52, 60]
    assert term.resets == 4 and nets.G_ema.stage.resolution == 16


def test_resume_mid_fade_is_bit_exact_and_generate_names_the_stage(tmp_path, capsys):
    data = make_folder_dataset(tmp_path / "data")
    sched = (Schedule(target="growth", kind="grow", fade_kimg=0.008, stabilize_kimg=0.008),)

    def config(outdir, kimg):
        cfg = tiny_config(data, outdir, kimg=kimg, model=_progan().to_dict(), tick_kimg=0.004, loss="wgan-gp")
        return replace(cfg, schedules=sched)

    straight = train(config(tmp_path / "a", 0.032))
    # the snapshot after 16 images holds the level its last step (images 12..16) trained at: 8 px fading in, alpha 0.5
    half = train(config(tmp_path / "b", 0.016))
    mid = load_checkpoint(half.last_checkpoint)
    assert float(mid.modules["G"]["growth_level"]) == pytest.approx(0.5)
    assert float(mid.state["terms"]["growth"]["level"]) == pytest.approx(0.5)
    resumed = train(config(tmp_path / "b", 0.032), resume=str(half.run_dir))
    assert_same_checkpoints(straight.last_checkpoint, resumed.last_checkpoint)
    end = load_checkpoint(straight.last_checkpoint)
    assert float(end.modules["G_ema"]["growth_level"]) == pytest.approx(1.5)  # images 28..32: 16 px fading, 0.5
    log = (straight.run_dir / "log.txt").read_text()
    assert "res 4" in log and "res 8" in log and "res 16" in log
    capsys.readouterr()
    assert main(["generate", "--network", str(half.last_checkpoint), "--seeds", "0-1",
                 "--outdir", str(tmp_path / "gen")]) == 0
    out = capsys.readouterr().out
    assert "growth stage 8 px (fading in from 4 px, alpha 0.50); images upscaled to 16 px" in out
    assert (tmp_path / "gen" / "seed0000.png").is_file()
    assert len(find_checkpoints(straight.run_dir)) == 8


def test_growing_errors_are_one_line(tmp_path, capsys):
    data = make_folder_dataset(tmp_path / "data")
    base = ["train", "--data", str(data), "--outdir", str(tmp_path / "runs"), "--kimg", "0.004", "--batch", "4",
            "--no-progress", "--device", "cpu"]
    assert main([*base, "--model", "stylegan1", "--growing", "--d", "stylegan1"]) == 2
    assert "does not grow" in capsys.readouterr().err
    assert main([*base, "--model", "progan", "--schedule", "growth=grow,fade_kimg=1"]) == 2
    assert "needs --growing" in capsys.readouterr().err
    assert main([*base, "--model", "stylegan2", "--growing"]) == 2
    assert "no option growing" in capsys.readouterr().err


def test_stage_batch_sets_the_batch_per_growth_stage(tmp_path):
    """``--stage-batch 4:8`` with ``--batch 4``: the 4 px stage trains with 8 images per step, the later ones with 4;
    images are counted as shown (the schedule stays in images)."""
    from ganforge.cli.train import parse_stage_batch

    data = make_folder_dataset(tmp_path / "data")
    cfg = tiny_config(data, tmp_path / "runs", kimg=0.024, model=_progan().to_dict(), tick_kimg=0.008, loss="wgan-gp",
                      batch_gpu=4)
    cfg = replace(cfg, schedules=(Schedule(target="growth", kind="grow", fade_kimg=0.008, stabilize_kimg=0.008),),
                  run=replace(cfg.run, stage_batch=((4, 8),)))
    result = train(cfg)
    state = load_checkpoint(result.last_checkpoint).state["train"]
    # steps start at 0 and 8 (4 px, batch 8), then 16 and 20 (8 px fading in from 16 images, batch 4)
    assert (state["cur_nimg"], state["batch_idx"]) == (24, 4)
    assert parse_stage_batch("4:64, 8:32") == [[4, 64], [8, 32]]
    with pytest.raises(ValueError, match="expected RES:BATCH"):
        parse_stage_batch("4-64")
    with pytest.raises(ValueError, match="not growth stages"):
        train(replace(cfg, run=replace(cfg.run, stage_batch=((64, 8),), run_dir=None)))
