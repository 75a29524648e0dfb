import subprocess
import sys

import numpy as np
from PIL import Image

import ganforge
from ganforge.cli.main import main


def test_version_and_help(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"ganforge {ganforge.__version__}"
    assert main([]) == 0
    assert "preview" in capsys.readouterr().out


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "ganforge.cli.main", "--help"], capture_output=True, text=True, check=True)
    assert "usage: ganforge" in out.stdout


def test_preview_writes_grid_and_config(tmp_path):
    assert main(["preview", "--outdir", str(tmp_path), "--resolution", "8", "--seeds", "0-5"]) == 0
    grid = np.asarray(Image.open(tmp_path / "preview-grid.png"))
    assert grid.shape == (16, 24, 3)  # 6 images -> 2 rows x 3 columns of 8x8 tiles
    assert ganforge.StyleGAN2Config.from_json(tmp_path / "config.json").img_resolution == 8


def test_preview_bad_input_is_one_clear_error(tmp_path, capsys):
    assert main(["preview", "--outdir", str(tmp_path), "--resolution", "12"]) == 2
    err = capsys.readouterr().err
    assert "img_resolution must be a power of two" in err and "Traceback" not in err
    assert main(["preview", "--outdir", str(tmp_path), "--seeds", "5-1"]) == 2
