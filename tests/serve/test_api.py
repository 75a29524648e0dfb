"""Every endpoint of ``ganforge serve`` on a tiny model: status, content type, size, determinism, and that the images
equal what the library (and so the CLI) makes for the same settings."""

import json
import time

import numpy as np
import pytest
import torch

from ganforge.explore import load_projected_w, style_mixing_grid
from ganforge.explore.directions import apply_direction, compute_directions
from ganforge.inference import open_networks
from ganforge.utils.images import make_grid, to_uint8
from tests.serve.conftest import decode_png, png_bytes


@pytest.fixture(scope="module")
def net(served_root):
    return open_networks(served_root / "00000-tiny" / "network-snapshot-000008.safetensors")


def test_networks_lists_snapshots_by_kimg_with_opaque_ids(client, ids):
    listed = client.get("/api/networks").json()
    assert [n["label"] for n in listed] == ["00000-tiny / kimg 4", "00000-tiny / kimg 8", "dcgan.safetensors"]
    assert all(len(n["id"]) == 12 and "/" not in n["id"] and "safetensors" not in n["id"] for n in listed)
    info = client.get(f"/api/networks/{ids['kimg8']}").json()
    assert (info["width"], info["height"], info["num_ws"], info["w_dim"], info["has_w"]) == (16, 16, 6, 16, True)
    assert info["presets"] == {"coarse": [0, 1], "middle": [2, 3], "fine": [4, 5]} and info["clusters"] == 3
    assert client.get(f"/api/networks/{ids['dcgan']}").json()["has_w"] is False


def test_image_is_generate_s_image_and_deterministic_per_seed(client, ids, net):
    url = f"/api/image?network={ids['kimg8']}&seed=7&psi=0.6&noise=random"
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = decode_png(r.content)
    assert img.shape == (16, 16, 3)
    assert np.array_equal(img, net.generate([7], psi=0.6, noise_mode="random")[0].numpy())
    assert client.get(url).content == r.content
    assert not np.array_equal(decode_png(client.get(url.replace("seed=7", "seed=8")).content), img)
    other = decode_png(client.get(f"/api/image?network={ids['kimg4']}&seed=7&psi=0.6&noise=random").content)
    assert not np.array_equal(other, img)  # snapshots are different networks
    dcgan = client.get(f"/api/image?network={ids['dcgan']}&seed=7")
    assert dcgan.status_code == 200 and decode_png(dcgan.content).shape == (16, 16, 3)


def test_grid_mix_and_interpolation(client, ids, net):
    grid = decode_png(client.get(f"/api/grid?network={ids['kimg8']}&seeds=0-5&psi=0.8").content)
    assert np.array_equal(grid, make_grid(net.generate(list(range(6)), psi=0.8).numpy()))
    r = client.get(f"/api/mix?network={ids['kimg8']}&rows=1,2&cols=3,4,5&styles=coarse")
    assert r.status_code == 200
    assert np.array_equal(decode_png(r.content), style_mixing_grid(net.G, [1, 2], [3, 4, 5], [0, 1]))
    fine = decode_png(client.get(f"/api/mix?network={ids['kimg8']}&rows=1,2&cols=3,4,5&styles=4-5").content)
    assert fine.shape == (48, 64, 3) and not np.array_equal(fine, decode_png(r.content))
    base = f"/api/interpolate?network={ids['kimg8']}&a=1&b=2"
    for space in ("z", "w"):
        ends = [decode_png(client.get(f"{base}&t={t}&space={space}").content) for t in (0, 0.5, 1)]
        assert np.array_equal(ends[0], net.generate([1])[0].numpy())  # t=0 is seed a
        assert np.abs(ends[2].astype(int) - net.generate([2])[0].numpy()).max() <= 1  # t=1 is seed b (slerp rounding)
        assert not np.array_equal(ends[1], ends[0]) and not np.array_equal(ends[1], ends[2])


def test_directions_are_cached_and_sliders_move_the_image(client, ids, net, app):
    q = f"network={ids['kimg8']}&method=sefa&layers=coarse&num=3"
    r = client.get(f"/api/directions?{q}")
    assert r.status_code == 200
    d = r.json()
    assert d["layers"] == [0, 1] and len(d["values"]) == 3 and d["values"] == sorted(d["values"], reverse=True)
    cached = len(app.state.server._directions)
    assert client.get(f"/api/directions?{q}").json() == d and len(app.state.server._directions) == cached
    zero = client.get(f"/api/image?{q}&seed=5&amounts=0,0,0").content
    assert zero == client.get(f"/api/image?network={ids['kimg8']}&seed=5").content
    moved = decode_png(client.get(f"/api/image?{q}&seed=5&amounts=0,2.5,0").content)
    ref = compute_directions(net.G, "sefa", [0, 1], 3, num_samples=5000)
    ws = apply_direction(net.G.mapping(torch.from_numpy(np.random.RandomState(5).randn(1, 16)).float(), None), ref, 1,
                         2.5)
    assert np.abs(moved.astype(int) - to_uint8(net.G.synthesis(ws, noise_mode="const"))[0]).max() <= 1
    assert decode_png(zero).tolist() != moved.tolist()


def test_clusters_gallery_and_latent_download(client, ids, net, tmp_path):
    r = client.get(f"/api/image?network={ids['kimg8']}&source=cluster&cluster=2")
    assert r.status_code == 200 and decode_png(r.content).shape == (16, 16, 3)
    assert client.get(f"/api/image?network={ids['kimg8']}&source=cluster&cluster=3").status_code == 400
    r = client.get(f"/api/latent?network={ids['kimg8']}&seed=9&psi=0.5")
    assert r.status_code == 200 and "projected_w.npz" in r.headers["content-disposition"]
    (tmp_path / "w.npz").write_bytes(r.content)
    ws, noise = load_projected_w(tmp_path / "w.npz", net.G)
    assert ws.shape == (1, 6, 16) and noise is None
    assert np.array_equal(to_uint8(net.G.synthesis(ws, noise_mode="const"))[0], net.generate([9], psi=0.5)[0].numpy())


def test_projection_streams_progress_and_becomes_a_source(client, ids, net, tmp_path):
    target = to_uint8(net.G.synthesis(net.G.mapping(torch.randn(1, 16), None), noise_mode="const"))[0]
    big = np.asarray(torch.nn.functional.interpolate(torch.from_numpy(target).permute(2, 0, 1)[None].float(),
                                                     scale_factor=3)[0].permute(1, 2, 0).byte())  # 48 px: resized
    r = client.post("/api/project", data={"network": ids["kimg8"], "space": "w", "steps": "30"},
                    files={"image": ("t.png", png_bytes(big), "image/png")})
    assert r.status_code == 202
    job = r.json()["id"]
    events = []
    with client.stream("GET", f"/api/project/{job}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "done" and events[-1]["step"] == 30
    steps = [e["step"] for e in events]
    assert steps == sorted(steps) and len(events) >= 2
    assert client.get(f"/api/project/{job}").json()["status"] == "done"
    img = client.get(f"/api/image?network={ids['kimg8']}&source=projection&projection={job}")
    assert img.status_code == 200 and decode_png(img.content).shape == (16, 16, 3)
    latent = client.get(f"/api/latent?network={ids['kimg8']}&source=projection&projection={job}")
    (tmp_path / "p.npz").write_bytes(latent.content)
    ws, noise = load_projected_w(tmp_path / "p.npz", net.G)
    assert torch.equal(ws[0, 0], ws[0, -1]) and noise  # space w: one w for every layer, plus the optimised noise
    assert client.get(f"/api/image?network={ids['kimg4']}&source=projection&projection={job}").status_code == 404


def test_static_page_is_served_with_its_scripts(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "http" not in r.text.replace("http-equiv", "")  # no CDN: every script and style ships in the package
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_conditional_network_needs_and_uses_a_class(tmp_path):
    import warnings

    from ganforge.serve import create_app
    from tests.inference.conftest import write_run

    write_run(tmp_path / "00001-cond", c_dim=3, kimg=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    with TestClient(create_app(tmp_path), base_url="http://127.0.0.1:7860") as client:
        (entry,) = client.get("/api/networks").json()
        assert client.get(f"/api/networks/{entry['id']}").json()["c_dim"] == 3
        r = client.get(f"/api/image?network={entry['id']}&seed=1")
        assert r.status_code == 400 and "pass a class index" in r.json()["error"]
        a, b = (decode_png(client.get(f"/api/image?network={entry['id']}&seed=1&class={k}").content) for k in (0, 2))
        assert not np.array_equal(a, b)
        assert "classes 0 to 2" in client.get(f"/api/image?network={entry['id']}&seed=1&class=3").json()["error"]
        r = client.get(f"/api/image?network={entry['id']}&seed=1&class=1&method=ganspace&amounts=1")
        assert r.status_code == 200


def test_a_stylegan1_network_serves_mixing_directions_and_projection(tmp_path):
    import warnings

    from ganforge.models import build_generator, model_config
    from ganforge.serve import create_app
    from ganforge.train.checkpoint import save_checkpoint

    cfg = model_config("stylegan1", img_resolution=8, z_dim=8, w_dim=8, mapping_layers=1, channel_base=64, channel_max=8)
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "sg1.safetensors", modules={"G": build_generator(cfg)}, optimizers={},
                    config={"model": cfg.to_dict()}, state={})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    with TestClient(create_app(tmp_path), base_url="http://127.0.0.1:7860") as client:
        (entry,) = client.get("/api/networks").json()
        k = entry["id"]
        assert client.get(f"/api/networks/{k}").json()["num_ws"] == 4
        assert decode_png(client.get(f"/api/mix?network={k}&rows=1,2&cols=3&styles=coarse").content).shape == (24, 16, 3)
        d = client.get(f"/api/directions?network={k}&method=sefa&layers=all&num=2").json()
        assert d["layers"] == [0, 1, 2, 3] and len(d["values"]) == 2
        still = client.get(f"/api/image?network={k}&seed=3").content
        moved = client.get(f"/api/image?network={k}&seed=3&method=sefa&layers=all&num=2&amounts=0,3").content
        assert decode_png(moved).shape == (8, 8, 3) and moved != still
        r = client.post("/api/project", data={"network": k, "space": "w+", "steps": "3"},
                        files={"image": ("t.png", png_bytes(np.zeros((8, 8, 3), dtype=np.uint8)), "image/png")})
        assert r.status_code == 202
        for _ in range(600):
            state = client.get(f"/api/project/{r.json()['id']}").json()
            if state["status"] in ("done", "error"):
                break
            time.sleep(0.05)
        assert state["status"] == "done" and state["step"] == 3


def test_snapshots_written_after_start_are_listed_with_stable_ids(tmp_path):
    """A run that is still training: the listing looks again, new snapshots appear, the ids of the old stay."""
    from ganforge.serve.catalog import Catalog
    from tests.inference.conftest import write_run

    run = tmp_path / "00000-live"
    write_run(run, kimg=4)
    catalog = Catalog(tmp_path)
    before = {e.kimg: e.id for e in catalog.entries()}
    assert list(before) == [4]
    write_run(run, kimg=8)
    after = {e.kimg: e.id for e in catalog.entries()}
    assert list(after) == [4, 8] and after[4] == before[4]
    entry, net = catalog.open(after[8])
    assert entry.path.name == "network-snapshot-000008.safetensors" and net.G is not None
