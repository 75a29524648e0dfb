"""Issue 16, "what a new user hits first": help texts, defaults and flags that must do what they say."""

from pathlib import Path

from ganforge.cli.compare import config_from_args
from ganforge.cli.main import build_parser
from ganforge.metrics.names import parse_metric_list

ROOT = Path(__file__).resolve().parents[2]


def test_compare_curve_metric_none_turns_the_curves_off():
    parser = build_parser()
    assert config_from_args(parser.parse_args(["compare", "--curve-metric", "none"])).curve_metric is None
    assert config_from_args(parser.parse_args(["compare", "--curve-metric", "swd2k"])).curve_metric == "swd2k"
    assert config_from_args(parser.parse_args(["compare"])).curve_metric == "swd1k"  # the default stays


def test_metrics_defaults_to_a_weight_free_metric_and_says_how_to_get_fid(capsys):
    args = build_parser().parse_args(["metrics", "--network", "x.safetensors"])
    assert parse_metric_list(args.metrics) == ("swd1k",)
    try:
        build_parser().parse_args(["metrics", "--help"])
    except SystemExit:
        pass
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--metrics fid50k_full --inception FILE" in help_text


def test_preview_help_and_checkpoint_docs_are_current(capsys):
    try:
        build_parser().parse_args(["preview", "--help"])
    except SystemExit:
        pass
    assert "until training lands" not in capsys.readouterr().out
    docs = (ROOT / "docs" / "checkpoints.md").read_text()
    assert "are not readable" not in docs and "rosinality `.pt`/`.pth` files load too" in docs
