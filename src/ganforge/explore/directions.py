"""Semantic directions in W: SeFa (closed form) and GANSpace (PCA of sampled w).

* **SeFa** (Shen & Zhou 2021, "Closed-Form Factorization of Latent Semantics in GANs", eq. 5): a style is an
  affine map ``y = A w + b`` of w; the unit directions ``n`` that change the styles of the chosen layers most,
  ``max ||A n||^2``, are the top eigenvectors of ``A^T A``. ``A`` stacks the affine weights of those layers, each
  style unit's row normalised to unit length, as the official code does (``normalize=True``).
* **GANSpace** (Härkönen et al. 2020, "GANSpace: Discovering Interpretable GAN Controls", section 2.2): the
  principal components of ``w = mapping(z)`` for sampled z.

Either way an edit moves the ws of the chosen layers only: ``ws[:, layers] += amount * scale_k * v_k``, with
``scale_k`` the standard deviation of sampled w along ``v_k`` (GANSpace's sigma; for SeFa measured the same way, so
that a slider value means the same on every model: ``amount`` in standard deviations).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import torch

from ganforge.explore.latents import sample_ws
from ganforge.explore.npz import load_npz, save_npz
from ganforge.models.network import generator_caps, require_mapping

METHODS = ("sefa", "ganspace")


@dataclass(frozen=True)
class Directions:
    """``K`` directions in W, strongest first."""

    method: str
    """``"sefa"`` or ``"ganspace"``."""
    vectors: torch.Tensor
    """``[K, w_dim]`` unit vectors."""
    values: torch.Tensor
    """``[K]``: eigenvalues of ``A^T A`` (SeFa) or variances of w along each component (GANSpace), descending."""
    scales: torch.Tensor
    """``[K]``: standard deviation of sampled w along each vector (the unit of an edit's ``amount``)."""
    layers: tuple[int, ...]
    """The ws indices an edit moves."""


def sefa_matrix(G: torch.nn.Module, layers: Sequence[int], normalize: bool = True) -> torch.Tensor:
    """``A: [S, w_dim]``: the affine weights of the styles read from the ws at ``layers``, stacked.

    Raises:
        ValueError: None of ``layers`` feeds a style affine (e.g. only the last ToRGB's w of a StyleGAN2).
    """
    chosen = set(layers)
    weights = [w.detach().float() for idx, w in G.style_weights() if idx in chosen]
    if not weights:
        raise ValueError(f"SeFa: layers {sorted(chosen)} have no style affine weights; pick other layers "
                         f"(this network has affines at ws {sorted({idx for idx, _ in G.style_weights()})})")
    A = torch.cat(weights)  # [S, w_dim]
    return A / A.norm(dim=1, keepdim=True).clamp_min(1e-8) if normalize else A


def sefa(G: torch.nn.Module, layers: Sequence[int], num: int, *, normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Top ``num`` eigenvectors of ``A^T A``: ``(vectors [num, w_dim], eigenvalues [num])``, largest first.

    The sign of each vector is fixed so that its largest-magnitude entry is positive (eigenvectors have none).
    """
    A = sefa_matrix(G, layers, normalize)
    values, vectors = torch.linalg.eigh(A.T.double() @ A.double())  # ascending, columns
    order = torch.argsort(values, descending=True)[:num]
    return _fix_signs(vectors[:, order].T).float(), values[order].float()


def ganspace(ws: torch.Tensor, num: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal components of ``ws: [N, w_dim]``: ``(components [num, w_dim], variances [num])``, largest first."""
    x = ws.double() - ws.double().mean(dim=0)
    _, s, vh = torch.linalg.svd(x, full_matrices=False)
    return _fix_signs(vh[:num]).float(), (s[:num].square() / max(1, ws.shape[0] - 1)).float()


def _fix_signs(vectors: torch.Tensor) -> torch.Tensor:
    """Flip each row so that its largest-magnitude entry is positive (a deterministic sign)."""
    idx = vectors.abs().argmax(dim=1, keepdim=True)
    return vectors * torch.sign(vectors.gather(1, idx))


def compute_directions(G: torch.nn.Module, method: Literal["sefa", "ganspace"], layers: Sequence[int], num: int, *,
                       num_samples: int = 5000, seed: int = 0, c: torch.Tensor | None = None) -> Directions:
    """SeFa or GANSpace directions of G, with the standard deviation of w along each.

    Args:
        G: A generator with a W space (and style affines for SeFa).
        method: ``"sefa"`` or ``"ganspace"``.
        layers: ws indices the directions are for (SeFa reads these layers' affines; edits move these ws).
        num: Number of directions, ``1 <= num <= w_dim``.
        num_samples: w samples (GANSpace's PCA; the scales of both).
        seed: Seeds the w samples.
        c: ``[1, c_dim]`` label for a conditional G, else ``None``.

    Raises:
        ValueError: Unknown method, a G without W space, a bad ``num`` or layer.
    """
    if method not in METHODS:
        raise ValueError(f"unknown direction method {method!r}; use one of {list(METHODS)}")
    caps = require_mapping(G, f"{method} directions")
    if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= caps.w_dim:
        raise ValueError(f"the number of directions must be an int in [1, {caps.w_dim}] (w_dim), got {num!r}")
    layers = tuple(sorted(set(int(i) for i in layers)))
    if not layers or not all(0 <= i < caps.num_ws for i in layers):
        raise ValueError(f"layers {list(layers)} must be a non-empty subset of 0..{caps.num_ws - 1}")
    if num_samples < 2:
        raise ValueError(f"num_samples must be >= 2, got {num_samples}")
    ws = sample_ws(G, num_samples, seed=seed, c=c).float().cpu()  # [n, w_dim]
    if method == "sefa":
        vectors, values = sefa(G, layers, num)
        vectors, values = vectors.cpu(), values.cpu()
    else:
        vectors, values = ganspace(ws, num)
    scales = ((ws - ws.mean(dim=0)) @ vectors.T).std(dim=0)  # [K]
    return Directions(method, vectors, values, scales, layers)


def apply_direction(ws: torch.Tensor, directions: Directions, index: int, amount: float) -> torch.Tensor:
    """``ws [N, num_ws, w_dim]`` moved ``amount`` standard deviations along direction ``index`` at its layers."""
    if not 0 <= index < len(directions.vectors):
        raise ValueError(f"direction {index} out of range: there are {len(directions.vectors)} (0 to "
                         f"{len(directions.vectors) - 1})")
    step = (amount * directions.scales[index] * directions.vectors[index]).to(ws)  # [w_dim]
    out = ws.clone()
    out[:, list(directions.layers)] += step
    return out


def direction_ws(G: torch.nn.Module, ws: torch.Tensor, directions: Directions, steps: Sequence[float]) -> torch.Tensor:
    """The figure's latents: ``ws [1, num_ws, w_dim]`` moved along each direction by each step:
    ``[K * len(steps), num_ws, w_dim]`` (rows = directions, columns = steps)."""
    return torch.cat([apply_direction(ws, directions, k, float(t)) for k in range(len(directions.vectors))
                      for t in steps])


def save_directions(path: str | Path, directions: Directions, **meta: float | int | str) -> Path:
    """Write ``directions [K, w_dim]``, ``values``, ``scales``, ``layers`` and ``method`` to an ``.npz``."""
    arrays = {"directions": directions.vectors.cpu().numpy().astype(np.float32),
              "values": directions.values.cpu().numpy().astype(np.float32),
              "scales": directions.scales.cpu().numpy().astype(np.float32),
              "layers": np.asarray(directions.layers, dtype=np.int64), "method": np.asarray(directions.method)}
    arrays.update({k: np.asarray(v) for k, v in meta.items()})
    return save_npz(path, arrays)


def load_directions(path: str | Path, G: torch.nn.Module | None = None) -> Directions:
    """Read a file of :func:`save_directions`, checked against G's ``w_dim``/``num_ws`` when given.

    Raises:
        ValueError: Missing arrays or shapes that do not fit.
    """
    data = load_npz(path, "directions")
    missing = [k for k in ("directions", "values", "scales", "layers", "method") if k not in data]
    if missing:
        raise ValueError(f"directions {path}: missing {missing} (write it with `ganforge directions`)")
    d = Directions(str(data["method"]), torch.from_numpy(data["directions"]), torch.from_numpy(data["values"]),
                   torch.from_numpy(data["scales"]), tuple(int(i) for i in data["layers"]))
    caps = generator_caps(G) if G is not None else None
    if caps is not None and (d.vectors.shape[1] != caps.w_dim or max(d.layers) >= caps.num_ws):
        raise ValueError(f"directions {path}: made for w_dim {d.vectors.shape[1]} and layers {list(d.layers)}; "
                         f"this network has w_dim {caps.w_dim} and {caps.num_ws} ws")
    return d
