"""Issue 16: small hostile network files are refused before they make the process allocate gigabytes.

Each attack runs in a fresh interpreter; its peak RSS must stay under 300 MB (importing torch is ~230 MB)."""

from tests.memory_bomb import PEAK_RSS_LIMIT_MB, cli_attack, one_line, run_attack

PKL_ATTACK = """
import sys, torch
from pathlib import Path
from tests.compat import official_pickle_builder as B
from tests.compat.test_official_pkl import make_networks, tiny_config
cfg = tiny_config()
data = B.snapshot(cfg, {"G_ema": make_networks(cfg)["G_ema"]})
source = B.tensor_record(B.legacy_blob(b"\\0" * 4, 1), (1,), (1,))
# a 4-byte tensor whose BUILD calls Tensor.__setstate__ -> set_(source, 0, size, stride): a stride-0 view of SIZE elements
forged = B.Raw(torch._utils._rebuild_tensor_v2, B.Raw(torch.storage._load_from_bytes, B.legacy_blob(b"\\0" * 4, 1)),
               0, (1,), (1,), False, {}, state=(source, 0, (SIZE,), (0,)))
data["G_ema"].meta["state"]["_buffers"]["forged"] = forged
B.write(Path(PATH), data)
"""


def test_pickle_build_set_with_a_huge_size_is_refused(tmp_path):
    for size in (300_000_000, 2**31):  # 1.2 GB (under the 4 GiB cap) and 8 GiB (over it) once copied to fp32
        path = tmp_path / f"bomb{size}.pkl"
        assert run_attack(PKL_ATTACK.replace("SIZE", str(size)).replace("PATH", repr(str(path))))["rc"] == 0
        assert path.stat().st_size < 300_000
        result = cli_attack(["generate", "--network", str(path), "--seeds", "0", "--outdir", str(tmp_path / "o")])
        print(f".pkl BUILD/set_ of {size} elements: peak RSS {result['peak_mb']:.0f} MB")
        line = one_line(result["stderr"])
        assert result["rc"] == 2 and path.name in line and "re-shaped after it was built" in line
        assert result["peak_mb"] < PEAK_RSS_LIMIT_MB


ROS_ATTACK = """
import torch
w = torch.zeros(1).as_strided((16000, 16000), (0, 0))  # 4 bytes stored, 1 GB once copied
sd = {"input.input": torch.zeros(1, 16, 4, 4), "style.1.weight": w, "to_rgb1.conv.weight": torch.zeros(1, 3, 16, 1, 1)}
torch.save({"g_ema": sd}, PATH)
"""


def test_rosinality_stride_zero_weight_is_refused(tmp_path):
    path = tmp_path / "bomb.pt"
    assert run_attack(ROS_ATTACK.replace("PATH", repr(str(path))))["rc"] == 0
    assert path.stat().st_size < 100_000
    result = cli_attack(["generate", "--network", str(path), "--seeds", "0", "--outdir", str(tmp_path / "o")])
    print(f"rosinality stride-0 16000x16000: peak RSS {result['peak_mb']:.0f} MB")
    line = one_line(result["stderr"])
    assert result["rc"] == 2 and "bomb.pt" in line and "a forged view" in line
    assert result["peak_mb"] < PEAK_RSS_LIMIT_MB
