"""``ganforge serve``: a local web page to explore a trained generator (docs/serve.md).

Generate by seed with truncation and noise, style mixing, interpolation, projection of an uploaded image into W or
W+ with live progress, the W-cluster gallery of ``ganforge clusters``, and SeFa / GANSpace sliders. The server binds
to 127.0.0.1 and refuses cross-origin requests; from another machine use an SSH tunnel:
``ssh -L 7860:127.0.0.1:7860 gpu-box`` then open http://127.0.0.1:7860 locally.

examples:
  ganforge serve --network runs/00003-emoji-32-stylegan2          # every snapshot of the run, by kimg
  ganforge serve --network runs --port 8000 --device cuda          # every run under runs/
  ganforge serve --network ffhq.pkl
  ganforge serve --network runs/00003-emoji-32-stylegan2 --threads 1   # a CPU shared with other jobs
"""

from __future__ import annotations

import argparse
import os

import torch


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="browser explorer of a network, a run's snapshots or a folder of runs",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="network file, run folder or folder of runs")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: %(default)s; anything else exposes the models to the network)")
    p.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="torch CPU threads (default: torch's choice). On a machine shared with other jobs, 1 (or "
                        "OMP_WAIT_POLICY=PASSIVE in the environment) keeps OpenMP from spinning: see docs/serve.md")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ganforge.serve import create_app
    except ImportError as exc:
        raise ValueError(f"{exc}; install the serve extra: pip install 'ganforge[serve]'") from None
    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be in [1, 65535], got {args.port}")
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    hosts = tuple(dict.fromkeys(["127.0.0.1", "localhost", "::1", args.host.strip("[]")]))
    app = create_app(args.network, device=args.device, allowed_hosts=hosts)
    entries = app.state.server.catalog.entries()
    print(f"serving {len(entries)} network(s) under {args.network} at http://{args.host}:{args.port}/ (Ctrl-C stops)")
    if torch.device(args.device).type == "cpu" and "OMP_WAIT_POLICY" not in os.environ and args.threads is None:
        print("tip: on a CPU shared with other jobs, start with OMP_WAIT_POLICY=PASSIVE (or --threads 1): "
              "several times faster images there (docs/serve.md, Responsiveness)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
