"""The benchmark scripts still run against the current API (they are scripts, so nothing else imports them)."""

from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(autouse=True)
def _bench_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))


def test_bench_train_times_every_phase():
    import bench_train

    times, intervals = bench_train.bench_config(("small", 32), batch=4, repeats=1, warmup=0, device=torch.device("cpu"))
    assert set(times) == {"Gmain", "Greg", "Dmain", "Dreg", "EMA"}
    assert all(t > 0 for t in times.values())
    assert intervals == {"Gmain": 1, "Greg": 4, "Dmain": 1, "Dreg": 16, "EMA": 1}
    times, intervals = bench_train.bench_config(bench_train.CONFIGS["r3gan-32"], batch=4, repeats=1, warmup=0,
                                                device=torch.device("cpu"))
    assert intervals == {"Gboth": 1, "Dboth": 1, "EMA": 1}  # no lazy phases: R1 + R2 run in every D step


def test_bench_generator_times_a_batch():
    import bench_generator
    from ganforge.models.stylegan2.generator import Generator

    G = Generator(z_dim=8, w_dim=8, img_resolution=8, mapping_layers=1, channel_base=64, channel_max=8).eval()
    times = bench_generator.time_generator(G, batch=2, repeats=2, warmup=1, fused=None, device=torch.device("cpu"))
    assert len(times) == 2 and all(t > 0 for t in times)
    assert set(bench_generator.CONFIGS) | set(bench_generator.SG3_CONFIGS) == set(bench_generator.TARGET_IMG_S)
    sg3 = bench_generator.build("sg3-r-32")
    assert type(sg3).__module__ == "ganforge.models.stylegan3.generator" and sg3.synthesis.layer_names[-1] == "L14_32_3"


def test_bench_metrics_swd_record():
    import bench_metrics

    record = bench_metrics.bench_swd(num_images=16, res=16, repeats=1)
    assert record["sorter"] in ("native", "numpy")
    assert set(record["values"]) == {"SWDx1e3_16", "SWDx1e3_avg"}


def test_bench_serve_times_http_round_trips(tmp_path):
    pytest.importorskip("uvicorn", reason="the serve extra is not installed")
    import http.client

    import bench_serve

    _, model = bench_serve.write_network(tmp_path, 16)
    assert (model["channel_base"], model["channel_max"], model["w_dim"]) == (4096, 128, 128)  # the --cfg cpu G
    server, port, net = bench_serve.start_server(tmp_path)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        times = bench_serve.time_requests(conn, [f"/api/image?network={net}&seed=1&psi={p}" for p in (0.5, 0.7)])
        conn.close()
    finally:
        server.should_exit = True
    assert len(times) == 2 and all(t > 0 for t in times)
    assert set(bench_serve.summary(times)) == {"median_ms", "p90_ms", "min_ms", "n"}
