"""The metric runner: names -> records equal to the direct computation, the real-feature cache, the CLI."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from ganforge.cli.main import main
from ganforge.metrics import features as features_module
from ganforge.metrics.features import FeatureNet
from ganforge.metrics.fid import fid_from_features
from ganforge.metrics.registry import MetricOptions, append_metric_record, compute_metrics
from ganforge.metrics.sources import iterate_fakes, open_reference
from ganforge.metrics.swd import swd
from tests.inference.conftest import tiny_nets, write_run
from tests.train.test_loop import make_folder_dataset


class PoolFeatures(nn.Module):
    """A cheap stand-in feature network: 4x4 average pool of the uint8 image, flattened, through a fixed matrix."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("proj", torch.randn(3 * 16, 12, generator=torch.Generator().manual_seed(0)))

    def forward(self, img):
        x = torch.nn.functional.adaptive_avg_pool2d(img.float() / 255, 4).flatten(1)
        return torch.relu(x @ self.proj)


@pytest.fixture
def stand_in(monkeypatch):
    """rfid/rkid run on PoolFeatures instead of the 299-px random Inception (same plumbing, milliseconds)."""
    calls = []

    def opener(weights, device):
        calls.append(device)
        return FeatureNet("random_inception", PoolFeatures().to(device), {"network": "pool-stand-in"}, device)

    monkeypatch.setitem(features_module._OPENERS, "random_inception", opener)
    return calls


@pytest.fixture
def data(tmp_path):
    return make_folder_dataset(tmp_path / "data", n=24)


def G_ema():
    return tiny_nets()[3]


def test_rfid_record_equals_the_direct_computation_and_states_its_protocol(stand_in, data, tmp_path):
    opts = MetricOptions(data=data, cache_dir=tmp_path / "cache", batch_size=5, seed=7)
    (record,) = compute_metrics(["rfid20"], G_ema(), opts)
    net = PoolFeatures()
    reals = net(open_reference(data).get_batch(np.arange(20))[0])
    fakes = net(torch.cat(list(iterate_fakes(G_ema(), 20, batch_size=5, seed=7))))
    assert record["results"]["rfid20"] == pytest.approx(fid_from_features(reals, fakes), rel=1e-6, abs=1e-9)
    protocol = record["protocol"]
    assert (protocol["num_gen"], protocol["num_real"], protocol["xflip"], protocol["seed"]) == (20, 20, False, 7)
    assert protocol["features"] == {"network": "pool-stand-in"} and len(protocol["dataset_sha256"]) == 64
    assert protocol["ganforge_version"] and record["metric"] == "rfid20"


def test_real_features_are_cached_per_dataset_and_protocol(stand_in, data, tmp_path):
    opts = MetricOptions(data=data, cache_dir=tmp_path / "cache")
    first = compute_metrics(["rfid16_full"], G_ema(), opts)[0]
    second = compute_metrics(["rfid16_full"], G_ema(), opts)[0]
    assert (first["protocol"]["cache_hit"], second["protocol"]["cache_hit"]) == (False, True)
    assert first["results"] == second["results"]
    assert first["protocol"]["num_real"] == 24  # _full: the whole dataset
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    # another size is another protocol; a changed dataset is another dataset
    assert compute_metrics(["rfid16"], G_ema(), opts)[0]["protocol"]["cache_hit"] is False
    make_folder_dataset(tmp_path / "more", n=1)
    (tmp_path / "more" / "img00000000.png").rename(data / "extra.png")
    third = compute_metrics(["rfid16_full"], G_ema(), opts)[0]
    assert third["protocol"]["cache_hit"] is False and third["protocol"]["num_real"] == 25


def test_a_damaged_cache_entry_is_recomputed(stand_in, data, tmp_path):
    opts = MetricOptions(data=data, cache_dir=tmp_path / "cache")
    good = compute_metrics(["rkid16"], G_ema(), opts)[0]
    (entry,) = (tmp_path / "cache").glob("*.npy")
    entry.write_bytes(b"not numpy")
    again = compute_metrics(["rkid16"], G_ema(), opts)[0]
    assert again["protocol"]["cache_hit"] is False and again["results"] == good["results"]


def test_fid_and_kid_share_one_generation(stand_in, data, tmp_path, monkeypatch):
    generated = []
    real_iterate = iterate_fakes

    def counting(*args, **kwargs):
        generated.append(args[1])
        return real_iterate(*args, **kwargs)

    monkeypatch.setattr("ganforge.metrics.registry.iterate_fakes", counting)
    compute_metrics(["rfid16", "rkid12"], G_ema(), MetricOptions(data=data, cache_dir=False))
    assert generated == [16]


def test_swd_record_equals_the_direct_computation(data):
    (record,) = compute_metrics(["swd24"], G_ema(), MetricOptions(data=data, batch_size=10, cache_dir=False))
    reals = open_reference(data).get_batch(np.arange(24))[0]
    fakes = torch.cat(list(iterate_fakes(G_ema(), 24, batch_size=10, seed=0)))
    direct = swd(reals, fakes, seed=0)
    assert record["results"]["swd24"] == pytest.approx(direct["SWDx1e3_avg"], rel=1e-5)
    assert record["results"]["swd24_16"] == pytest.approx(direct["SWDx1e3_16"], rel=1e-5)
    # more fakes than reals: SWD compares equal-size sets and says so
    (capped,) = compute_metrics(["swd100"], G_ema(), MetricOptions(data=data, cache_dir=False))
    assert capped["protocol"]["num_gen"] == capped["protocol"]["num_real"] == 24


def test_fakes_are_reproducible_and_leave_the_callers_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = torch.cat(list(iterate_fakes(G_ema(), 10, batch_size=4, seed=1)))
    assert torch.equal(torch.get_rng_state(), before)
    b = torch.cat(list(iterate_fakes(G_ema(), 10, batch_size=4, seed=1)))
    c = torch.cat(list(iterate_fakes(G_ema(), 10, batch_size=4, seed=2)))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_weighted_metric_without_weights_is_one_clear_error(data, monkeypatch):
    monkeypatch.delenv("GANFORGE_INCEPTION", raising=False)
    with pytest.raises(ValueError, match="(?s)inception.*swd"):
        compute_metrics(["fid50k_full"], G_ema(), MetricOptions(data=data))


def test_conditional_generator_needs_labels(data):
    G = tiny_nets(c_dim=3)[3]
    with pytest.raises(ValueError, match="labels"):
        compute_metrics(["swd8"], G, MetricOptions(data=data))


def test_records_append_as_json_lines(tmp_path):
    for value in (1.0, 2.0):
        path = append_metric_record(tmp_path, {"metric": "swd1k", "results": {"swd1k": value}})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["results"]["swd1k"] for line in lines] == [1.0, 2.0] and path.name == "metric-swd1k.jsonl"


def test_cli_writes_metric_jsonl_next_to_the_checkpoint(stand_in, data, tmp_path, capsys):
    ckpt = write_run(tmp_path / "run", kimg=8)
    code = main(["metrics", "--network", str(ckpt), "--data", str(data), "--metrics", "swd16,rfid16",
                 "--metrics-cache", str(tmp_path / "cache"), "--no-progress"])
    assert code == 0
    for name in ("swd16", "rfid16"):
        (line,) = (tmp_path / "run" / f"metric-{name}.jsonl").read_text().splitlines()
        record = json.loads(line)
        assert record["kimg"] == 8 and record["network"] == str(ckpt) and name in record["results"]
    assert "rfid16:" in capsys.readouterr().out
    assert main(["metrics", "--network", str(ckpt), "--data", str(data), "--metrics", "fid1k_half"]) == 2
