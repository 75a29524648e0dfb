"""The wave-1 fixture checkpoint (tests/fixtures/wave1): what today's code makes of it, as digests."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from tests.train.golden import REPO, _sha, environment

FIXTURE = REPO / "tests" / "fixtures" / "wave1"
CKPT = FIXTURE / "stylegan2-ada-lecam.safetensors"
DIGESTS = FIXTURE / "digests.json"
SEEDS = "0-3"


def generate_digest(outdir: Path) -> dict[str, str]:
    """``ganforge generate`` from the fixture (psi 1 and 0.7, const noise) -> digests of the images."""
    from PIL import Image

    from ganforge.cli.main import main

    out = {}
    for psi in ("1", "0.7"):
        folder = outdir / f"psi{psi}"
        rc = main(["generate", "--network", str(CKPT), "--seeds", SEEDS, "--trunc", psi, "--outdir", str(folder),
                   "--device", "cpu"])
        if rc != 0:
            raise RuntimeError(f"generate exited with {rc}")
        images = sorted(folder.glob("seed*.png"))
        if len(images) != 4:
            raise RuntimeError(f"expected 4 images in {folder}, got {[p.name for p in images]}")
        out[f"psi{psi}"] = _sha([(p.name, np.asarray(Image.open(p))) for p in images])
    return out


def resume_digest(workdir: Path) -> dict[str, str]:
    """Copy the fixture into a run folder and resume it to 0.192 kimg (dataset path relative to the repo root)."""
    from safetensors import safe_open

    from ganforge.cli.main import main

    run = workdir / "00000-emoji-32-cpu"
    run.mkdir(parents=True)
    shutil.copy(CKPT, run / "network-snapshot-000000.safetensors")
    shutil.copy(FIXTURE / "config.json", run / "config.json")
    old_threads = torch.get_num_threads()
    try:
        rc = main(["train", "--outdir", str(workdir), "--resume", str(run), "--kimg", "0.192", "--threads", "2",
                   "--no-progress"])
    finally:
        torch.set_num_threads(old_threads)
    if rc != 0:
        raise RuntimeError(f"resume exited with {rc}")
    ckpt = sorted(run.glob("network-snapshot-*.safetensors"))[-1]
    digests = {}
    with safe_open(str(ckpt), framework="pt") as f:
        keys = sorted(f.keys())
        for module in ("G", "D", "G_ema"):
            mine = [k for k in keys if k.startswith(f"{module}.")]
            digests[module] = _sha([(k, f.get_tensor(k).numpy()) for k in mine])
    return digests


def main(argv: list[str] | None = None) -> int:
    import os
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        result = {"environment": environment(), "generate": generate_digest(Path(tmp) / "gen"),
                  "resume": resume_digest(Path(tmp) / "runs")}
    print(json.dumps(result, indent=1))
    if args.record:
        DIGESTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
