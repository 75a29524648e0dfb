"""Query parameters of the serve API, parsed and checked: every bad value is a ``ValueError`` naming the parameter,
its allowed range and what was sent (the app answers it with 400 and that message).

A *view* is what the page shows in its large image: a latent source (a seed, a finished projection or a W-cluster
centroid), how it is rendered (truncation, noise, class) and the direction sliders applied to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

PSI_RANGE = (-1.0, 2.0)
"""Truncation psi the API accepts (the official visualizer's slider range)."""
AMOUNT_RANGE = (-10.0, 10.0)
"""Direction slider values, in standard deviations of w along the direction."""
MAX_GRID = 64
"""Most images one grid, mixing figure or seed list may hold."""
MAX_DIRECTIONS = 16
"""Most directions one request may compute."""
NOISE_MODES = ("const", "random", "none")
SOURCES = ("seed", "projection", "cluster")
METHODS = ("sefa", "ganspace")


def text(q: Mapping[str, str], name: str, default: str | None = None, choices: tuple[str, ...] | None = None) -> str:
    """A string parameter, required when ``default`` is ``None``."""
    value = q.get(name, default)
    if value is None or value == "" and default is None:
        raise ValueError(f"missing parameter {name!r}")
    if choices is not None and value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value[:40]!r}")
    return value


def integer(q: Mapping[str, str], name: str, lo: int, hi: int, default: int | None = None,
            optional: bool = False) -> int | None:
    """An int in ``[lo, hi]``; ``None`` when ``optional`` and absent or empty."""
    raw = q.get(name, "")
    if raw == "":
        if optional:
            return None
        if default is None:
            raise ValueError(f"missing parameter {name!r}")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


def number(q: Mapping[str, str], name: str, bounds: tuple[float, float], default: float) -> float:
    """A finite float in ``bounds`` (inclusive)."""
    raw = q.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not bounds[0] <= value <= bounds[1]:  # also refuses nan
        raise ValueError(f"{name} must be in [{bounds[0]:g}, {bounds[1]:g}], got {raw[:40]}")
    return value


def seed_list(q: Mapping[str, str], name: str) -> list[int]:
    """``"0-7,9"`` -> seeds, at most :data:`MAX_GRID`."""
    from ganforge.utils.seeds import parse_seeds

    raw = text(q, name)
    try:
        seeds = parse_seeds(raw)
    except ValueError as exc:
        raise ValueError(f"{name}: {str(exc).replace('--seeds: ', '').replace('--seeds ', '')}") from None
    if len(seeds) > MAX_GRID:
        raise ValueError(f"{name}: {len(seeds)} seeds, over the limit of {MAX_GRID} per image")
    return seeds


@dataclass(frozen=True)
class Rendering:
    """How latents become pixels (shared by every image endpoint)."""

    psi: float
    cutoff: int | None
    noise_mode: str
    class_idx: int | None

    @staticmethod
    def parse(q: Mapping[str, str]) -> Rendering:
        return Rendering(psi=number(q, "psi", PSI_RANGE, 1.0), cutoff=integer(q, "cutoff", 0, 1024, optional=True),
                         noise_mode=text(q, "noise", "const", NOISE_MODES),
                         class_idx=integer(q, "class", 0, 1_000_000, optional=True))


@dataclass(frozen=True)
class DirectionSpec:
    """Which directions the sliders move along: computed (and cached) per network by these settings."""

    method: str
    layers: str
    num: int

    @staticmethod
    def parse(q: Mapping[str, str]) -> DirectionSpec:
        return DirectionSpec(method=text(q, "method", "sefa", METHODS), layers=text(q, "layers", "all")[:200],
                             num=integer(q, "num", 1, MAX_DIRECTIONS, 5))


@dataclass(frozen=True)
class View:
    """One latent, rendered, with slider edits."""

    source: str
    seed: int
    projection: str | None
    cluster: int | None
    rendering: Rendering
    directions: DirectionSpec | None
    amounts: tuple[float, ...]

    @staticmethod
    def parse(q: Mapping[str, str]) -> View:
        source = text(q, "source", "seed", SOURCES)
        projection = text(q, "projection") if source == "projection" else None
        cluster = integer(q, "cluster", 0, 100_000) if source == "cluster" else None
        amounts: tuple[float, ...] = ()
        directions = None
        if q.get("amounts", ""):
            parts = q["amounts"].split(",")
            if len(parts) > MAX_DIRECTIONS:
                raise ValueError(f"amounts: at most {MAX_DIRECTIONS} slider values, got {len(parts)}")
            amounts = tuple(number({"amount": p.strip()}, "amount", AMOUNT_RANGE, 0.0) for p in parts)
            directions = DirectionSpec.parse({"method": q.get("method", "sefa"), "layers": q.get("layers", "all"),
                                              "num": q.get("num", "") or str(len(amounts))})
            if len(amounts) > directions.num:
                raise ValueError(f"amounts: {len(amounts)} slider values for {directions.num} directions")
        return View(source=source, seed=integer(q, "seed", 0, 2**32 - 1, 0), projection=projection, cluster=cluster,
                    rendering=Rendering.parse(q), directions=directions if any(amounts) else None, amounts=amounts)
