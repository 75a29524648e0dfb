"""``ganforge compare``: a grid of training runs (models x losses x regularisers) and a report comparing them."""

from ganforge.compare.grid import PRESETS, CompareConfig, RunSpec, expand, from_preset, train_config
from ganforge.compare.report import write_report
from ganforge.compare.runner import run_grid, run_one

__all__ = ["CompareConfig", "RunSpec", "PRESETS", "expand", "from_preset", "train_config", "run_grid", "run_one",
           "write_report"]
