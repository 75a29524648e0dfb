"""Bad input to ``ganforge serve`` is a 4xx with a clear JSON message, and the server keeps serving afterwards."""

import numpy as np
import pytest

from tests.serve.conftest import png_bytes


@pytest.mark.parametrize("query, status, message", [
    ("network=0123456789ab&seed=1", 404, "unknown network '0123456789ab'"),
    ("network=..%2F..%2Fetc%2Fpasswd&seed=1", 404, "ids are not paths"),
    ("network=%2Ftmp%2Fx.safetensors&seed=1", 404, "ids are not paths"),
    ("seed=1", 400, "missing parameter 'network'"),
    ("network={kimg8}&seed=1&psi=3", 400, "psi must be in [-1, 2], got 3"),
    ("network={kimg8}&seed=1&psi=nan", 400, "psi must be in [-1, 2]"),
    ("network={kimg8}&seed=-1", 400, "seed must be in [0, 4294967295]"),
    ("network={kimg8}&seed=x", 400, "seed must be an integer"),
    ("network={kimg8}&noise=loud", 400, "noise must be one of ['const', 'random', 'none']"),
    ("network={kimg8}&class=2", 400, "class 2 given, but this network is unconditional"),
    ("network={kimg8}&source=projection&projection=nope", 404, "unknown projection 'nope'"),
    ("network={kimg8}&amounts=1,99&method=sefa", 400, "amount must be in [-10, 10]"),
    ("network={kimg8}&amounts=1&method=pca", 400, "method must be one of ['sefa', 'ganspace']"),
    ("network={kimg8}&amounts=1&layers=5-5", 400, "layers [5] have no style affine weights"),
    ("network={dcgan}&seed=1&psi=0.5", 400, "truncation needs a generator with a mapping network"),
    ("network={dcgan}&amounts=1", 400, "sefa directions needs a generator with a mapping network"),
])
def test_bad_image_requests_say_what_is_wrong(client, ids, query, status, message):
    r = client.get("/api/image?" + query.format(**ids))
    assert r.status_code == status, r.text
    assert message in r.json()["error"]
    assert client.get(f"/api/image?network={ids['kimg8']}&seed=1").status_code == 200  # still serving


def test_bad_grid_mix_interpolation_and_directions(client, ids):
    k = ids["kimg8"]
    cases = [(f"/api/grid?network={k}&seeds=0-99", "over the limit of 64"),
             (f"/api/mix?network={k}&rows=1&cols=2&styles=0-9", "out of range"),
             (f"/api/mix?network={ids['dcgan']}&rows=1&cols=2", "style mixing needs a generator with a mapping"),
             (f"/api/interpolate?network={k}&a=1&b=2&t=1.5", "t must be in [0, 1]"),
             (f"/api/interpolate?network={ids['dcgan']}&a=1&b=2&space=w", "needs a generator with a mapping"),
             (f"/api/directions?network={k}&num=99", "num must be in [1, 16]"),
             (f"/api/latent?network={ids['dcgan']}&seed=1", "needs a generator with a mapping network")]
    for url, message in cases:
        r = client.get(url)
        assert r.status_code == 400 and message in r.json()["error"], (url, r.text)
    assert client.get(f"/api/grid?network={k}&seeds=0-3").status_code == 200


def test_uploads_refused_by_size_kind_pixels_and_network(client, ids):
    k = ids["kimg8"]

    def post(data: bytes, network=k, **fields):
        return client.post("/api/project", data={"network": network, **fields}, files={"image": ("x.png", data)})

    r = post(b"\0" * (17 * 1024**2))
    assert r.status_code == 413 and "over the limit of 16 MiB" in r.json()["error"]
    r = post(b"this is not an image")
    assert r.status_code == 400 and "not an image" in r.json()["error"]
    huge = png_bytes(np.zeros((4100, 4100), dtype=np.uint8))  # compresses to a few KB, decodes to 16.8 MP
    r = post(huge)
    assert r.status_code == 400 and "over the limit of 16.8 MP" in r.json()["error"]
    small = png_bytes(np.zeros((16, 16, 3), dtype=np.uint8))
    assert post(small, space="z").status_code == 400
    assert "steps must be in [1, 2000]" in post(small, steps="5000").json()["error"]
    assert post(small, network="../00000-tiny").status_code == 404
    r = post(small, network=ids["dcgan"])
    assert r.status_code == 400 and "needs a generator with a mapping network" in r.json()["error"]
    r = client.post("/api/project", data={"network": k})
    assert r.status_code == 400 and "missing file field 'image'" in r.json()["error"]
    assert client.get("/api/networks").status_code == 200


def test_cross_origin_and_foreign_hosts_are_refused(client, ids):
    url = f"/api/image?network={ids['kimg8']}&seed=1"
    assert client.get(url, headers={"origin": "http://127.0.0.1:7860"}).status_code == 200  # the page itself
    for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"},
                    {"origin": "http://127.0.0.1:9999"}):
        r = client.get(url, headers=headers)
        assert r.status_code == 403 and "refused" in r.json()["error"], headers
    r = client.get(url, headers={"host": "rebind.example:7860"})
    assert r.status_code == 403 and "DNS-rebinding" in r.json()["error"]
    r = client.post("/api/project", data={"network": ids["kimg8"]}, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.get(url).status_code == 200


def test_serve_command_refuses_a_path_without_networks(tmp_path, capsys):
    from ganforge.cli.main import main

    assert main(["serve", "--network", str(tmp_path)]) == 2
    assert "no network file, run folder or folder of runs" in capsys.readouterr().err
    assert main(["serve", "--network", str(tmp_path / "missing")]) == 2


def test_serve_command_binds_localhost_by_default(served_root, monkeypatch, capsys):
    import uvicorn

    from ganforge.cli.main import main

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    assert main(["serve", "--network", str(served_root), "--port", "7999", "--device", "cpu"]) == 0
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 7999)
    assert "serving 3 network(s)" in capsys.readouterr().out
    assert main(["serve", "--network", str(served_root), "--port", "70000"]) == 2
    assert "--port must be in [1, 65535]" in capsys.readouterr().err
    assert main(["serve", "--network", str(served_root), "--threads", "0"]) == 2
    assert "--threads must be >= 1" in capsys.readouterr().err
