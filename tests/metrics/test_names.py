import pytest

from ganforge.metrics.names import parse_metric, parse_metric_list


@pytest.mark.parametrize("name, kind, num_gen, max_real, full", [
    ("fid50k_full", "fid", 50_000, None, True),
    ("fid50k", "fid", 50_000, 50_000, False),
    ("kid50k_full", "kid", 50_000, 1_000_000, True),
    ("rfid10k", "rfid", 10_000, 10_000, False),
    ("rkid2k_full", "rkid", 2_000, 1_000_000, True),
    ("swd0.5k", "swd", 500, 500, False),
    ("swd16k", "swd", 16_000, 16_000, False),
    ("rfid500", "rfid", 500, 500, False),
    ("pr50k3_full", "pr", 50_000, 200_000, True),
    ("pr10k3", "pr", 10_000, 10_000, False),
    ("is50k", "is", 50_000, 0, False),
])
def test_feature_metric_names(name, kind, num_gen, max_real, full):
    spec = parse_metric(name)
    assert (spec.kind, spec.num_gen, spec.max_real, spec.full) == (kind, num_gen, max_real, full)
    assert spec.name == name


@pytest.mark.parametrize("name, space, sampling, crop, num", [
    ("ppl_wend", "w", "end", True, 50_000),
    ("ppl_zfull", "z", "full", True, 50_000),
    ("ppl2_wend", "w", "end", False, 50_000),
    ("ppl_wend1k", "w", "end", True, 1_000),
])
def test_ppl_names(name, space, sampling, crop, num):
    spec = parse_metric(name)
    assert (spec.kind, spec.ppl_space, spec.ppl_sampling, spec.ppl_crop, spec.num_gen) == ("ppl", space, sampling,
                                                                                          crop, num)


@pytest.mark.parametrize("bad", ["fid", "fid50", "fidk", "fid0.0001k", "swd1k_half", "pr50k_full", "ppl_xend", "lpips"])
def test_bad_names_are_one_clear_error(bad):
    if bad == "fid50":  # a bare count is a valid size (50 images)
        assert parse_metric(bad).num_gen == 50
        return
    with pytest.raises(ValueError, match="metric"):
        parse_metric(bad)


def test_metric_lists():
    assert parse_metric_list("fid50k_full, swd1k") == ("fid50k_full", "swd1k")
    assert parse_metric_list("none") == ()
    assert parse_metric_list(None) == ()
    with pytest.raises(ValueError, match="twice"):
        parse_metric_list("swd1k,swd1k")
