"""Fused-style bias + activation + gain + clamp, in pure PyTorch.

``bias_act(x, b, act='lrelu')`` computes ``clamp(act(x + b) * gain, -clamp, clamp)``. Every
activation has a default gain chosen to preserve the signal's second moment for unit-variance
input (He et al. 2015): sqrt(2) for ReLU and leaky ReLU (as in ProGAN / StyleGAN), 1 otherwise.
With ``inplace=True`` the work reuses the memory of ``x`` (only valid when the caller owns ``x``
and no gradient is needed), which saves an allocation per op on CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["ActivationSpec", "activation_funcs", "bias_act"]


@dataclass(frozen=True)
class ActivationSpec:
    """An activation function with its default alpha (slope/scale parameter) and gain."""

    func: Callable[[torch.Tensor, float], torch.Tensor]
    def_alpha: float
    def_gain: float


activation_funcs: dict[str, ActivationSpec] = {
    "linear": ActivationSpec(lambda x, a: x, 0.0, 1.0),
    "relu": ActivationSpec(lambda x, a: F.relu(x), 0.0, math.sqrt(2)),
    "lrelu": ActivationSpec(lambda x, a: F.leaky_relu(x, a), 0.2, math.sqrt(2)),
    "tanh": ActivationSpec(lambda x, a: torch.tanh(x), 0.0, 1.0),
    "sigmoid": ActivationSpec(lambda x, a: torch.sigmoid(x), 0.0, 1.0),
    "elu": ActivationSpec(lambda x, a: F.elu(x, alpha=a), 1.0, 1.0),
    "selu": ActivationSpec(lambda x, a: F.selu(x), 0.0, 1.0),
    "softplus": ActivationSpec(lambda x, a: F.softplus(x), 0.0, 1.0),
    "swish": ActivationSpec(lambda x, a: F.silu(x), 0.0, math.sqrt(2)),
}

# In-place variants of the hot activations (used when inplace=True).
_inplace_funcs: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "linear": lambda x, a: x,
    "relu": lambda x, a: x.relu_(),
    "lrelu": lambda x, a: F.leaky_relu_(x, a),
}


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "linear",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
    inplace: bool = False,
) -> torch.Tensor:
    """Add a bias, apply an activation, scale by a gain and clamp.

    Args:
        x: Input of any shape, e.g. ``[N, C, H, W]`` or ``[N, C]``.
        b: Bias ``[x.shape[dim]]`` or ``None``.
        dim: The axis of ``x`` that ``b`` runs along.
        act: A name in :data:`activation_funcs`.
        alpha: Activation parameter (leaky slope for ``lrelu``); ``None`` takes the default.
        gain: Output scale; ``None`` takes the activation's default.
        clamp: Clamp the output to ``[-clamp, clamp]``; ``None`` disables.
        inplace: Overwrite ``x``'s memory (the caller must own ``x``; no autograd through it).

    Returns:
        A tensor shaped like ``x``.
    """
    if act not in activation_funcs:
        raise ValueError(f"bias_act: unknown activation {act!r}; choose from {sorted(activation_funcs)}")
    if clamp is not None and clamp < 0:
        raise ValueError(f"bias_act: clamp must be non-negative or None, got {clamp}")
    spec = activation_funcs[act]
    alpha = spec.def_alpha if alpha is None else float(alpha)
    gain = spec.def_gain if gain is None else float(gain)
    if b is not None:
        if b.ndim != 1 or b.shape[0] != x.shape[dim]:
            raise ValueError(f"bias_act: b must be [{x.shape[dim]}] for x {tuple(x.shape)}, got {tuple(b.shape)}")
        shape = [1] * x.ndim
        shape[dim] = -1
        b = b.reshape(shape).to(x.dtype)
    inplace = inplace and act in _inplace_funcs
    if inplace:
        if b is not None:
            x.add_(b)
        x = _inplace_funcs[act](x, alpha)
        if gain != 1:
            x.mul_(gain)
        if clamp is not None:
            x.clamp_(-clamp, clamp)
        return x
    if b is not None:
        x = x + b
    x = spec.func(x, alpha)
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x
