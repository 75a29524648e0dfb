"""Run an attack in a fresh interpreter and measure its peak RSS (issue 16: memory bounded before allocation).

The attack runs as the only child of a small wrapper process, so ``getrusage(RUSAGE_CHILDREN)`` in the wrapper is
the attack's own peak, whatever else the test process ran before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PEAK_RSS_LIMIT_MB = 300
_ROOT = Path(__file__).resolve().parents[1]

_WRAPPER = """
import json, resource, subprocess, sys
proc = subprocess.run([sys.executable, "-c", sys.argv[1]], capture_output=True, text=True, timeout=float(sys.argv[2]))
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "peak_mb": peak_mb}))
"""


def run_attack(code: str, timeout: float = 120) -> dict:
    """``{"rc", "stdout", "stderr", "peak_mb"}`` of ``python -c code`` (with ganforge and tests importable)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT / "src"), str(_ROOT)])}
    out = subprocess.run([sys.executable, "-c", _WRAPPER, code, str(timeout)], capture_output=True, text=True,
                         env=env, timeout=timeout + 30, check=True)
    return json.loads(out.stdout)


def cli_attack(argv: list[str], timeout: float = 120) -> dict:
    """:func:`run_attack` of ``ganforge <argv>`` through the real CLI entry point."""
    code = f"import sys; from ganforge.cli.main import main; sys.exit(main({argv!r}))"
    return run_attack(code, timeout)


def one_line(stderr: str) -> str:
    """The single stderr line of a refused input (asserts there is exactly one and no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]
