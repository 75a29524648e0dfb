import copy
import functools

import pytest
import torch

from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.train.checkpoint import save_checkpoint

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


@functools.lru_cache(maxsize=None)
def tiny_nets(c_dim=0):
    """Tiny ``(cfg, G, D, G_ema)``; G_ema differs from G, and the noise strengths are non-zero so that
    ``noise_mode`` matters (an untrained StyleGAN2 starts with zero noise strength)."""
    cfg = model_config("stylegan2", c_dim=c_dim, **TINY)
    torch.manual_seed(0)
    G, D = build_generator(cfg), build_discriminator(cfg)
    G_ema = copy.deepcopy(G)
    with torch.no_grad():
        for name, p in G_ema.named_parameters():
            p.add_(0.05 * torch.randn_like(p))
            if name.endswith("noise_strength"):
                p.fill_(0.3)
        G_ema.mapping.w_avg.copy_(torch.randn(cfg.w_dim))
    return cfg, G, D, G_ema


def write_run(folder, c_dim=0, modules=("G", "D", "G_ema"), kimg=4):
    cfg, G, D, G_ema = tiny_nets(c_dim)
    nets = {"G": G, "D": D, "G_ema": G_ema}
    path = folder / f"network-snapshot-{kimg:06d}.safetensors"
    return save_checkpoint(path, modules={k: nets[k] for k in modules}, optimizers={},
                           config={"model": cfg.to_dict(), "batch_size": 4}, state={"cur_nimg": kimg * 1000})


@pytest.fixture
def run_dir(tmp_path):
    """A run folder with two checkpoints (the newest, kimg 8, is the one that loads)."""
    folder = tmp_path / "runs" / "00000-tiny"
    write_run(folder, kimg=4)
    write_run(folder, kimg=8)
    return folder
