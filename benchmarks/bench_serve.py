"""``ganforge serve`` responsiveness: HTTP round trips of a 256 px image and of psi-slider moves.

Protocol: the ``--cfg cpu`` StyleGAN2 (channel_base 4096, channel_max 128, z/w 128, 2 mapping layers) at 256 px,
**randomly initialised** (latency does not depend on training; say so where the numbers are quoted), saved as a
checkpoint and served by uvicorn on 127.0.0.1 in this process; one keep-alive HTTP client sends requests one after
another and times each from request to the last byte of the PNG:

* ``image``: ``/api/image?seed=S`` with a new seed each time (the page's seed box or the random button);
* ``psi``: the same seed with psi stepping through a slider drag (0.30, 0.35, ..., back and forth).

``--warmup`` untimed requests first; medians and 90th percentiles of ``--repeats`` timed requests, torch on
``--threads`` threads. Prints one JSON record (machine, torch, threads, load average before and after, the process's
CPU time per request: less sensitive to other jobs on a shared machine than wall time) to stdout, or ``--json PATH``.

    python benchmarks/bench_serve.py --json runs/bench_serve.json
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import torch

from bench_generator import cpu_name, emit_record
from ganforge.models import build_generator
from ganforge.train.checkpoint import save_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.presets import resolve_config
from ganforge.version import __version__


def write_network(folder: Path, resolution: int) -> tuple[Path, dict]:
    """A randomly initialised ``--cfg cpu`` StyleGAN2 at ``resolution`` as a run snapshot; ``(path, model config)``."""
    cfg = resolve_config(TrainConfig.from_dict({"cfg": "cpu"}), resolution=resolution, img_channels=3, c_dim=0)
    torch.manual_seed(0)
    G = build_generator(cfg.model.arch)
    path = save_checkpoint(folder / "network-snapshot-000000.safetensors", modules={"G_ema": G}, optimizers={},
                           config={"model": cfg.model.arch.to_dict()}, state={"cur_nimg": 0})
    return path, cfg.model.arch.to_dict()


def start_server(root: Path):
    """uvicorn serving ``root`` on a free port, in a thread: ``(server, port, network id)``."""
    import uvicorn

    from ganforge.serve import create_app

    app = create_app(root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port, app.state.server.catalog.entries()[0].id


def time_requests(conn: http.client.HTTPConnection, urls: list[str], cpu: list[float] | None = None) -> list[float]:
    """Seconds per request (send to last byte), one after another on a keep-alive connection; appends the process
    CPU seconds per request (server and client are this process) to ``cpu`` when given."""
    times = []
    cpu0 = time.process_time()
    for url in urls:
        t0 = time.perf_counter()
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
        times.append(time.perf_counter() - t0)
        if resp.status != 200 or not body.startswith(b"\x89PNG"):
            raise RuntimeError(f"{url}: HTTP {resp.status}: {body[:200]!r}")
    if cpu is not None and urls:
        cpu.append((time.process_time() - cpu0) / len(urls))
    return times


def summary(times: list[float]) -> dict:
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": round(statistics.median(ms), 1), "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
            "min_ms": round(ms[0], 1), "n": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        _, model = write_network(Path(tmp), args.resolution)
        server, port, net = start_server(Path(tmp))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        image = [f"/api/image?network={net}&seed={s}" for s in range(args.warmup + args.repeats)]
        psis = [round(0.3 + 0.05 * (i % 14 if i % 28 < 14 else 13 - i % 14), 2) for i in range(args.warmup + args.repeats)]
        psi = [f"/api/image?network={net}&seed=1234&psi={p}" for p in psis]
        cpu: list[float] = []
        load = os.getloadavg()[0]
        time_requests(conn, image[:args.warmup])
        image_times = time_requests(conn, image[args.warmup:], cpu)
        time_requests(conn, psi[:args.warmup])
        psi_times = time_requests(conn, psi[args.warmup:], cpu)
        conn.close()
        server.should_exit = True
    record = {
        "benchmark": "bench_serve", "ganforge": __version__, "torch": torch.__version__,
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "load_avg_1m_before": round(load, 2),
                    "load_avg_1m_after": round(os.getloadavg()[0], 2)},
        "threads": args.threads, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "resolution": args.resolution, "model": "--cfg cpu StyleGAN2, random init",
        "model_config": {k: model[k] for k in ("z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max")},
        "image_round_trip": summary(image_times), "psi_slider_move": summary(psi_times),
        "process_cpu_ms_per_request": {"image": round(cpu[0] * 1000, 1), "psi": round(cpu[1] * 1000, 1)},
        "target_median_ms": 200,
    }
    emit_record(record, args.json)


if __name__ == "__main__":
    main()
