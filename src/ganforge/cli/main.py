"""The ``ganforge`` command: one subcommand per file in this package."""

from __future__ import annotations

import argparse
import sys

from ganforge.cli import convert, dataset, export, generate, preview, train
from ganforge.version import __version__

SUBCOMMANDS = {"dataset": dataset, "train": train, "generate": generate, "preview": preview,
               "convert": convert, "export": export}

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
    for name, module in SUBCOMMANDS.items():
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return SUBCOMMANDS[args.command].run(args) or 0
    except ValueError as exc:  # bad input: one clear line, no traceback
        print(f"ganforge {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
