"""Transfer learning (``--resume-from``): a new run from foreign or own weights, Freeze-D, mapping lr, clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.compat import export_rosinality
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.train import setup, transfer
from ganforge.train.checkpoint import load_checkpoint
from ganforge.train.loop import train
from tests.compat import official_pickle_builder as B
from tests.train.test_loop import TINY, make_folder_dataset, tiny_config


def test_new_run_from_a_checkpoint_freezes_the_highest_resolution_d_block(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    source = train(tiny_config(data, tmp_path / "src", kimg=0.008))
    src = load_checkpoint(source.last_checkpoint).modules
    run = train(tiny_config(data, tmp_path / "dst", kimg=0.008, resume_from=str(source.last_checkpoint), freezed=1))
    assert run.run_dir.parent == tmp_path / "dst" and run.cur_nimg == 8  # a new run, counters from zero
    out = load_checkpoint(run.last_checkpoint)
    D = out.modules["D"]
    frozen = [k for k in D if k.startswith("b16.") and "filter" not in k]
    assert frozen and all(torch.equal(D[k], src["D"][k]) for k in frozen)
    assert any(not torch.equal(D[k], src["D"][k]) for k in D if k.startswith("b8."))
    assert any(not torch.equal(v, src["G"][k]) for k, v in out.modules["G"].items())
    n_trainable = sum(1 for k in dict(build_discriminator(TINY).named_parameters()) if not k.startswith("b16."))
    assert len(out.optimizers["D"]["state"]) == n_trainable  # frozen parameters never entered the optimizer


def test_weights_are_copied_exactly_from_a_rosinality_file(tmp_path):
    cfg = model_config("stylegan2", img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128,
                       channel_max=16, mbstd_group_size=4)
    torch.manual_seed(1)
    G, D = build_generator(cfg), build_discriminator(cfg)
    path = export_rosinality(G, tmp_path / "net.pt", D=D)
    data = make_folder_dataset(tmp_path / "data")
    run_cfg = tiny_config(data, tmp_path / "runs", model=None, resume_from=str(path))
    dataset = setup.open_dataset(run_cfg)
    run_cfg, source = transfer.prepare(run_cfg, dataset)
    assert run_cfg.model.arch == cfg  # the model comes from the file
    nets = setup.build_nets(setup.resolve(run_cfg, dataset, setup.DistEnv(device=torch.device("cpu"))),
                            setup.DistEnv(device=torch.device("cpu")))
    transfer.load_weights(nets, source)
    for mine, theirs in ((nets.G, G), (nets.G_ema, G), (nets.D, D)):
        for (k, a), b in zip(mine.state_dict().items(), theirs.state_dict().values()):
            assert torch.equal(a, b), k


def test_official_pkl_source_runs(tmp_path):
    torch.manual_seed(2)
    nets = {"G": build_generator(TINY), "D": build_discriminator(TINY), "G_ema": build_generator(TINY)}
    path = B.write(tmp_path / "network-snapshot-000100.pkl", B.snapshot(TINY, nets))
    data = make_folder_dataset(tmp_path / "data")
    run = train(tiny_config(data, tmp_path / "runs", kimg=0.004, tick_kimg=0.004, model=None, resume_from=str(path),
                            mapping_lr_mult=0.01))
    opt = load_checkpoint(run.last_checkpoint).optimizers["G"]
    lrs = [group["lr"] for group in opt["param_groups"]]
    assert len(lrs) == 2 and lrs[1] == pytest.approx(lrs[0] * 0.01)


def test_a_source_that_does_not_fit_is_a_clear_error(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    source = train(tiny_config(data, tmp_path / "src", kimg=0.004, tick_kimg=0.004)).last_checkpoint
    big = tmp_path / "big"
    big.mkdir()
    for i in range(4):
        Image.fromarray(np.full([32, 32, 3], 40 * i, np.uint8)).save(big / f"{i}.png")
    with pytest.raises(ValueError, match=r"--resume-from .*network-snapshot.*16px.*32px"):
        train(tiny_config(big, tmp_path / "runs", model=None, resume_from=str(source)))
    narrow = dict(TINY.to_dict(), channel_max=8)
    with pytest.raises(ValueError, match=r"--resume-from .*network-snapshot.*does not fit"):
        train(tiny_config(data, tmp_path / "runs", model=narrow, resume_from=str(source)))
    with pytest.raises(ValueError, match="no such file"):
        train(tiny_config(data, tmp_path / "runs", resume_from=str(tmp_path / "missing.pkl")))


def test_freezed_counts_blocks_from_the_highest_resolution():
    D = build_discriminator(model_config("stylegan2", img_resolution=32, channel_base=128, channel_max=16))
    assert transfer.frozen_prefixes(D, 0) == ()
    assert transfer.frozen_prefixes(D, 2) == ("b32.", "b16.")
    with pytest.raises(ValueError, match="--freezed 4"):
        transfer.frozen_prefixes(D, 4)
