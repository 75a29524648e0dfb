"""The ``ganforge`` command: one subcommand per file in this package."""

from __future__ import annotations

import argparse
import importlib
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
    "activations": "ganforge.cli.activations",
    "metrics": "ganforge.cli.metrics",
}


def _module(name: str):
    return importlib.import_module(SUBCOMMANDS[name])

EPILOG = """examples:
  ganforge --version
  ganforge preview --outdir runs/preview --resolution 32 --seeds 0-15
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        return _module(args.command).run(args) or 0
    except ValueError as exc:  # bad input: one clear line, no traceback
        print(f"ganforge {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
