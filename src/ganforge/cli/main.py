"""The ``ganforge`` command: one subcommand per file in this package.

Error policy (docs/reliability.md): an expected failure (bad input, a file that cannot be read or written,
a full disk, an input too large for memory) prints one line ``ganforge <cmd>: error: ...`` on stderr and
exits with code 2; so do command-line errors. Anything else is a bug and keeps its traceback.
``GANFORGE_DEBUG=1`` shows the traceback of expected failures too.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import math
import os
import sys

from ganforge.utils.allocator import keep_freed_memory
from ganforge.version import __version__

# Subcommand name -> module with ``add_parser(subparsers)`` and ``run(args)``. One line per command.
SUBCOMMANDS = {
    "dataset": "ganforge.cli.dataset",
    "train": "ganforge.cli.train",
    "compare": "ganforge.cli.compare",
    "generate": "ganforge.cli.generate",
    "preview": "ganforge.cli.preview",
    "convert": "ganforge.cli.convert",
    "export": "ganforge.cli.export",
    "mix": "ganforge.cli.mix",
    "interpolate": "ganforge.cli.interpolate",
    "project": "ganforge.cli.project",
    "detect": "ganforge.cli.detect",
    "clusters": "ganforge.cli.clusters",
    "directions": "ganforge.cli.directions",
    "activations": "ganforge.cli.activations",
    "metrics": "ganforge.cli.metrics",
    "serve": "ganforge.cli.serve",
}


def _module(name: str):
    return importlib.import_module(SUBCOMMANDS[name])

EPILOG = """examples:
  ganforge --version
  ganforge preview --outdir runs/preview --resolution 32 --seeds 0-15
"""


def finite_float(text: str) -> float:
    """``float(text)``, refusing ``nan`` and ``inf`` (no option of ganforge means anything with them)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


finite_float.__name__ = "finite number"  # argparse: "invalid finite number value: 'nan'"


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (and exit code 2), like every other expected failure.

    Every ``type=float`` option (of the parser and its argument groups, which share its registry) parses
    with :func:`finite_float`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register("type", float, finite_float)

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def check_device(args: argparse.Namespace) -> None:
    """Refuse a ``--device`` that this machine does not have before anything is loaded (one clear line)."""
    value = getattr(args, "device", None)
    if not isinstance(value, str) or value == "auto":
        return
    import torch

    try:
        device = torch.device(value)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"--device {value}: not a torch device ({exc}); use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {value}: CUDA is not available here (no GPU, or torch built without CUDA); "
                         "use --device cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"--device {value}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {value}: MPS is not available here; use --device cpu")


EXPECTED_ERRORS = (ValueError, OSError, MemoryError)
"""Failures caused by the input or the environment: reported in one line, exit code 2."""


def describe_error(exc: BaseException) -> str:
    """The one-line message for an expected failure: the file or flag and what went wrong."""
    if isinstance(exc, MemoryError):
        return f"out of memory{f' ({exc})' if str(exc) else ''}; the input asks for more memory than there is"
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        hint = "; free some space and run it again" if exc.errno == errno.ENOSPC else ""
        return f"{where}{exc.strerror}{hint}"
    return " ".join(str(exc).split()) or type(exc).__name__


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ganforge",
        description="Train, evaluate and explore GANs (StyleGAN2 at the heart) in pure PyTorch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ganforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        _module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    keep_freed_memory()  # reuse freed pages of large tensors (glibc; GANFORGE_MALLOC_TUNING=0 turns it off)
    try:
        check_device(args)
        return _module(args.command).run(args) or 0
    except EXPECTED_ERRORS as exc:  # bad input or environment: one clear line, no traceback
        if os.environ.get("GANFORGE_DEBUG", "") not in ("", "0"):
            raise
        print(f"ganforge {args.command}: error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: checkpoints are written atomically, so the last one is intact
        if os.environ.get("GANFORGE_DEBUG", "") not in ("", "0"):
            raise
        print(f"ganforge {args.command}: interrupted" + (
            "; the last checkpoint is intact: continue with --resume" if args.command == "train" else ""),
            file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
