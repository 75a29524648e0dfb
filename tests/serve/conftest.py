"""A served folder on a tiny StyleGAN2 (two snapshots of a run, its W clusters, a dcgan file) and a test client."""

import io
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.explore.clusters import save_centroids
from ganforge.models import build_generator, model_config
from ganforge.train.checkpoint import save_checkpoint
from tests.conftest import single_thread
from tests.inference.conftest import tiny_nets, write_run

pytest.importorskip("starlette", reason="the serve extra (starlette) is not installed")
pytest.importorskip("httpx", reason="starlette's TestClient needs httpx")


def make_root(root):
    """``root/00000-tiny`` (kimg 4 and 8, clusters/centroids.npz) and ``root/dcgan.safetensors`` (no W space)."""
    run = root / "00000-tiny"
    write_run(run, kimg=4, modules=("G", "D"))  # no G_ema: this snapshot renders the training G (other weights)
    write_run(run, kimg=8)
    _, _, _, G_ema = tiny_nets()
    save_centroids(run / "clusters" / "centroids.npz", G_ema.mapping(torch.randn(3, 16), None)[:, 0].detach(),
                   torch.tensor([5, 3, 2]))
    cfg = model_config("dcgan", img_resolution=16, z_dim=8, channel_base=128, channel_max=16)
    torch.manual_seed(0)
    save_checkpoint(root / "dcgan.safetensors", modules={"G": build_generator(cfg)}, optimizers={},
                    config={"model": cfg.to_dict()}, state={})
    return root


@pytest.fixture(scope="session")
def served_root(tmp_path_factory):
    return make_root(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="session")
def app(served_root):
    from ganforge.serve import create_app

    return create_app(served_root)


@pytest.fixture
def client(app):
    with warnings.catch_warnings():  # starlette 1.x prefers httpx2; httpx works the same for these tests
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1:7860") as c:
        yield c


@pytest.fixture(scope="session")
def ids(app):
    """``{"kimg4": id, "kimg8": id, "dcgan": id}``."""
    out = {}
    for e in app.state.server.catalog.entries():
        out[f"kimg{e.kimg}" if e.kimg is not None else e.path.stem] = e.id
    return out


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


_one_thread = pytest.fixture(autouse=True)(single_thread)
