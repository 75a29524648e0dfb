"""Golden training runs: digests of weights, logged losses and the last sample grid of three short CLI runs.

Recorded before the family-contract redesign (issue 15) and checked after every change since: the same command
line must train bit-identically. Digests depend on the CPU kernels, so they are compared only in the environment
that recorded them (torch version + CPU capability + thread count); elsewhere the test is skipped.

Record (only when a change is *meant* to alter what training computes)::

    .venv/bin/python -m tests.train.golden --record
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
EMOJI = REPO / "datasets" / "emoji-32.zip"
DIGESTS = Path(__file__).with_name("golden_digests.json")
THREADS = 2

# name -> the command-line flags after ``ganforge train --data <emoji> --outdir <tmp>``
RUNS = {
    "stylegan2-cpu": ["--cfg", "cpu", "--kimg", "0.5", "--seed", "3", "--tick", "0.25", "--grid", "4"],
    "dcgan": ["--model", "dcgan", "--kimg", "0.5", "--seed", "3", "--tick", "0.25", "--grid", "4", "--batch", "32"],
    "ada-lecam": ["--cfg", "cpu", "--kimg", "0.5", "--seed", "3", "--tick", "0.25", "--grid", "4", "--aug", "ada",
                  "--reg", "lecam", "--target", "0.3", "--ada-kimg", "2"],
}


def environment() -> dict[str, str]:
    """What the digests depend on."""
    return {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": str(THREADS)}


def _sha(arrays: list[tuple[str, np.ndarray]]) -> str:
    h = hashlib.sha256()
    for name, a in arrays:
        h.update(name.encode())
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def run_digest(name: str, workdir: Path) -> dict[str, str]:
    """Train run ``name`` in ``workdir`` through the CLI and return its digests."""
    from PIL import Image
    from safetensors import safe_open

    from ganforge.cli.main import main

    old_threads = torch.get_num_threads()
    try:
        rc = main(["train", "--data", str(EMOJI), "--outdir", str(workdir), "--threads", str(THREADS),
                   "--no-progress", "--no-tensorboard", *RUNS[name]])
    finally:
        torch.set_num_threads(old_threads)
    if rc != 0:
        raise RuntimeError(f"golden run {name} exited with {rc}")
    (run_dir,) = [p for p in workdir.iterdir() if p.is_dir()]
    (ckpt,) = sorted(run_dir.glob("network-snapshot-*.safetensors"))[-1:]
    digests = {}
    with safe_open(str(ckpt), framework="pt") as f:
        keys = sorted(f.keys())
        for module in ("G", "D", "G_ema"):
            prefix = f"{module}."
            mine = [k for k in keys if k.startswith(prefix)]
            if not mine:
                raise RuntimeError(f"{ckpt}: no tensors under {prefix}")
            digests[module] = _sha([(k[len(prefix):], f.get_tensor(k).numpy()) for k in mine])
    losses = []
    for line in (run_dir / "stats.jsonl").read_text().splitlines():
        record = json.loads(line)
        losses.append({k: v for k, v in sorted(record.items()) if k.startswith(("Loss/", "Progress/augment"))})
    digests["losses"] = hashlib.sha256(json.dumps(losses, sort_keys=True).encode()).hexdigest()
    (grid,) = sorted(run_dir.glob("fakes0*.png"))[-1:]
    digests["grid"] = _sha([("grid", np.asarray(Image.open(grid)))])
    return digests


def main(argv: list[str] | None = None) -> int:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help=f"write {DIGESTS.name}")
    parser.add_argument("--runs", nargs="*", default=list(RUNS))
    args = parser.parse_args(argv)
    result = {"environment": environment(), "runs": {}}
    for name in args.runs:
        with tempfile.TemporaryDirectory() as tmp:
            result["runs"][name] = run_digest(name, Path(tmp))
        print(name, json.dumps(result["runs"][name], indent=1))
    if args.record:
        DIGESTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {DIGESTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
