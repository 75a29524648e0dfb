"""Export a StyleGAN2 generator to ONNX (standard ops only; runs in onnxruntime, TensorRT, ...).

Two graphs:

* ``part="full"``: inputs ``z: [batch, z_dim]`` (and ``c: [batch, c_dim]`` for conditional G),
  output ``img: [batch, img_channels, R, R]``; mapping + truncation (``psi`` baked in) + synthesis.
* ``part="synthesis"``: input ``ws: [batch, num_ws, w_dim]``, output ``img``.

The batch axis is dynamic. Per-layer noise is baked in: ``noise_mode="const"`` uses the stored
``noise_const`` buffers (what ``ganforge generate`` uses by default), ``"none"`` drops it; random
noise is not exported (ONNX's RandomNormal would make the model non-deterministic).

Exporter: torch 2.13's default, the ``torch.export``-based ("dynamo") exporter, which needs the
``onnx`` and ``onnxscript`` packages. The TorchScript exporter (``dynamo=False``) cannot export
this network: tracing records the channel count of the depthwise FIR convolutions as a run-time
value ("convolution for kernel of unknown shape"). The dynamo exporter emits opset 18; older
opsets go through onnx's version converter, which fails on this graph, so ``opset >= 18``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from pathlib import Path
from typing import Literal

import torch

from ganforge.models.network import generator_caps, require_mapping
from ganforge.nn.shape import assert_shape
from ganforge.version import __version__

__all__ = ["export_onnx", "onnx_input_names", "PARTS", "NOISE_MODES", "MIN_OPSET"]

PARTS = ("full", "synthesis")
NOISE_MODES = ("const", "none")
MIN_OPSET = 18
EXAMPLE_BATCH = 2  # batch 1 would be specialised to a constant by torch.export


class _FullGenerator(torch.nn.Module):
    """``(z[, c]) -> img`` with truncation and noise baked in (fp32, contiguous layout)."""

    def __init__(self, G: torch.nn.Module, psi: float, cutoff: int | None, noise_mode: str):
        super().__init__()
        self.G, self.psi, self.cutoff, self.noise_mode = G, psi, cutoff, noise_mode

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        assert_shape(z, [None, self.G.z_dim], "z")
        if not generator_caps(self.G).has_mapping:  # R3GAN, DCGAN: z -> img directly
            return self.G(z, c, noise_mode=self.noise_mode)
        ws = self.G.mapping(z, c, truncation_psi=self.psi, truncation_cutoff=self.cutoff)
        return self.G.synthesis(ws, noise_mode=self.noise_mode, fused_modconv=False, channels_last=False)


class _Synthesis(torch.nn.Module):
    """``ws -> img`` with noise baked in."""

    def __init__(self, G: torch.nn.Module, noise_mode: str):
        super().__init__()
        self.synthesis, self.noise_mode = G.synthesis, noise_mode

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        return self.synthesis(ws, noise_mode=self.noise_mode, fused_modconv=False, channels_last=False)


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's chatter (deprecations; "torchvision is not installed" log lines)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def onnx_input_names(G: torch.nn.Module, part: str = "full") -> list[str]:
    """The graph's input names: ``["z"]``, ``["z", "c"]`` (conditional) or ``["ws"]``."""
    if part == "synthesis":
        return ["ws"]
    return ["z", "c"] if G.c_dim > 0 else ["z"]


def _example_inputs(G: torch.nn.Module, part: str) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    if part == "synthesis":
        return (torch.randn([EXAMPLE_BATCH, G.num_ws, G.w_dim], generator=gen),)
    z = torch.randn([EXAMPLE_BATCH, G.z_dim], generator=gen)
    if G.c_dim == 0:
        return (z,)
    return z, torch.eye(G.c_dim)[torch.arange(EXAMPLE_BATCH) % G.c_dim]


def export_onnx(
    G: torch.nn.Module,
    path: str | Path,
    *,
    part: Literal["full", "synthesis"] = "full",
    truncation_psi: float = 1.0,
    truncation_cutoff: int | None = None,
    noise_mode: Literal["const", "none"] = "const",
    opset: int = MIN_OPSET,
) -> Path:
    """Write ``G`` (a StyleGAN2 generator) as an ONNX model.

    Args:
        G: The generator; a CPU fp32 copy is exported, ``G`` itself is left untouched.
        path: The ``.onnx`` file (weights inside; models over 1.5 GB get a ``<path>.data`` file next to it).
        part: ``full`` (``z[, c] -> img``) or ``synthesis`` (``ws -> img``).
        truncation_psi: Truncation baked into ``full`` (1 = off).
        truncation_cutoff: Truncate only the first this many ws (``None`` = all).
        noise_mode: ``const`` (stored noise) or ``none``.
        opset: ONNX opset (>= 18).

    Returns:
        ``path``. The model's metadata records ganforge's version, ``part``, ``psi`` and ``noise_mode``.

    Raises:
        ValueError: Bad arguments, or the exporter packages (``onnx``, ``onnxscript``) are missing.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    if part == "synthesis" or truncation_psi != 1:
        require_mapping(G, "--part synthesis" if part == "synthesis" else "truncation (--psi)")
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise_mode must be one of {NOISE_MODES} (random noise is not exported), got {noise_mode!r}")
    if opset < MIN_OPSET:
        raise ValueError(f"opset must be >= {MIN_OPSET} (torch's ONNX exporter emits opset {MIN_OPSET}), got {opset}")
    if part == "synthesis" and (truncation_psi != 1 or truncation_cutoff is not None):
        raise ValueError("truncation applies to the mapping network: use part='full', or truncate ws yourself")
    try:
        import onnx
        import onnxscript  # noqa: F401  (the dynamo exporter needs it)
    except ImportError as exc:
        raise ValueError(f"ONNX export needs the onnx and onnxscript packages (pip install 'ganforge[onnx]'): {exc}") from None

    path = Path(path)
    G = copy.deepcopy(G).to(device="cpu", dtype=torch.float32).eval().requires_grad_(False)
    model = _Synthesis(G, noise_mode) if part == "synthesis" else _FullGenerator(G, truncation_psi, truncation_cutoff, noise_mode)
    inputs = _example_inputs(G, part)
    names = onnx_input_names(G, part)
    batch = torch.export.Dim("batch", min=1)
    n_bytes = sum(t.numel() * t.element_size() for t in G.state_dict().values())
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quiet_exporter(), torch.no_grad():
        torch.onnx.export(model, inputs, str(path), dynamo=True, input_names=names, output_names=["img"],
                          dynamic_shapes=tuple({0: batch} for _ in inputs), opset_version=opset,
                          external_data=n_bytes > 1.5e9, verbose=False)
    proto = onnx.load(str(path), load_external_data=False)
    got = max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if got != opset:
        raise ValueError(f"the exporter wrote opset {got}, not the requested {opset}")
    meta = {"producer": f"ganforge {__version__}", "part": part, "truncation_psi": str(truncation_psi),
            "truncation_cutoff": str(truncation_cutoff), "noise_mode": noise_mode,
            "img_resolution": str(G.img_resolution), "img_height": str(G.img_shape[0]),
            "img_width": str(G.img_shape[1]), "img_channels": str(G.img_channels)}
    for key, value in meta.items():
        proto.metadata_props.add(key=f"ganforge.{key}", value=value)
    onnx.save(proto, str(path))
    return path
