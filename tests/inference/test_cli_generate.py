import numpy as np
from PIL import Image

from ganforge.cli.main import main
from ganforge.inference import load
from ganforge.utils.images import make_grid

from .conftest import write_run


def test_generate_writes_seed_files_and_grid(run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", "--network", str(run_dir), "--seeds", "0-2,10", "--outdir", str(out), "--grid",
                 "--trunc", "0.8", "--batch", "2", "--device", "cpu"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["grid.png", "seed0000.png", "seed0001.png", "seed0002.png", "seed0010.png"]
    expected = load(run_dir).generate([0, 1, 2, 10], psi=0.8, batch_size=2).numpy()
    assert np.array_equal(np.asarray(Image.open(out / "seed0010.png")), expected[3])
    assert np.array_equal(np.asarray(Image.open(out / "grid.png")), make_grid(expected))
    printed = capsys.readouterr().out
    assert "network-snapshot-000008.safetensors" in printed and "seed0000.png ... seed0010.png" in printed


def test_generate_grid_only(run_dir, tmp_path):
    out = tmp_path / "g"
    assert main(["generate", "--network", str(run_dir / "network-snapshot-000004.safetensors"), "--seeds", "0-3",
                 "--outdir", str(out), "--grid-only", "--noise-mode", "random"]) == 0
    assert [p.name for p in out.iterdir()] == ["grid.png"]
    assert np.asarray(Image.open(out / "grid.png")).shape == (32, 32, 3)


def test_generate_bad_input_is_one_clear_error(tmp_path, capsys):
    missing = tmp_path / "nope.safetensors"
    assert main(["generate", "--network", str(missing), "--outdir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganforge generate: error:") and str(missing) in err and "Traceback" not in err
    cond = write_run(tmp_path / "run", c_dim=3)
    assert main(["generate", "--network", str(cond), "--outdir", str(tmp_path / "o")]) == 2
    assert "--class" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
