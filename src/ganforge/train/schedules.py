"""Hyper-parameter schedules: pure functions of ``cur_nimg`` (images shown so far).

Any numeric hyper-parameter of a run can follow a schedule (``--schedule TARGET=KIND,key=value,...``): the learning
rate and Adam beta2 of each network (``G.lr``, ``D.beta2``), every regulariser weight (``reg.r1``, ``reg.pl``, ...),
the G_ema half-life (``ema_kimg``), the augmentation probability (``augment.p``, with ``--aug fixed``), the blur sigma
of the images D sees (``blur_sigma``), the growth level of a growing model (``growth``, with ``--growing``; kind
``grow``) and targets a model family declares itself. Counting in images keeps a schedule when the batch size changes
(STYLE rule 7).

Kinds (all values in the target's own units; ``start=None`` = the target's base value from the config):

============  ===============================================================================================
constant      ``start`` for ever
linear        ``start`` -> ``end`` linearly over ``ramp_kimg`` (after ``warmup_kimg``), then ``end``
cosine        ``start`` -> ``end`` along a half cosine over ``ramp_kimg`` (after ``warmup_kimg``), then ``end``
step          ``start * factor ** floor(kimg / every_kimg)``
piecewise     linear between ``points`` ``((kimg, value), ...)``, constant outside them
grow          progressive growing: ``start`` for ``stabilize_kimg``, then per stage a fade-in (+1 linearly over
              ``fade_kimg``) and ``stabilize_kimg`` at the new level (ProGAN: 600 / 600)
============  ===============================================================================================

``warmup_kimg > 0`` (linear and cosine) first ramps linearly from 0 to ``start``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ganforge.config import Config
from ganforge.registry import Registry



def constant(nimg: float, *, start: float) -> float:
    """``start``."""
    return float(start)


def _ramp(nimg: float, start: float, end: float, ramp_kimg: float, warmup_kimg: float, shape: Callable) -> float:
    kimg = nimg / 1000
    if warmup_kimg > 0 and kimg < warmup_kimg:
        return start * kimg / warmup_kimg
    t = 1.0 if ramp_kimg <= 0 else min(max((kimg - warmup_kimg) / ramp_kimg, 0.0), 1.0)
    return start + (end - start) * shape(t)


def linear(nimg: float, *, start: float, end: float, ramp_kimg: float, warmup_kimg: float = 0.0) -> float:
    """Linear from ``start`` to ``end`` over ``ramp_kimg`` thousand images (after a linear warm-up from 0)."""
    return _ramp(nimg, start, end, ramp_kimg, warmup_kimg, lambda t: t)


def cosine(nimg: float, *, start: float, end: float, ramp_kimg: float, warmup_kimg: float = 0.0) -> float:
    """Half-cosine from ``start`` to ``end`` over ``ramp_kimg`` (after a linear warm-up from 0)."""
    return _ramp(nimg, start, end, ramp_kimg, warmup_kimg, lambda t: (1 - math.cos(math.pi * t)) / 2)


def step(nimg: float, *, start: float, factor: float, every_kimg: float) -> float:
    """``start * factor ** floor(kimg / every_kimg)``."""
    return start * factor ** math.floor(nimg / 1000 / every_kimg)


def piecewise(nimg: float, *, points: tuple[tuple[float, float], ...]) -> float:
    """Linear interpolation between ``(kimg, value)`` points (sorted by kimg); constant before and after."""
    kimg = nimg / 1000
    if kimg <= points[0][0]:
        return float(points[0][1])
    for (k0, v0), (k1, v1) in zip(points, points[1:]):
        if kimg <= k1:
            return v0 + (v1 - v0) * (kimg - k0) / (k1 - k0) if k1 > k0 else float(v1)
    return float(points[-1][1])


def grow(nimg: float, *, start: float, fade_kimg: float, stabilize_kimg: float) -> float:
    """The growth level (models/growing.py) after ``nimg`` images: ``start`` during the first ``stabilize_kimg``, then
    for each new stage a linear fade-in over ``fade_kimg`` (level + 0 -> 1) followed by ``stabilize_kimg`` at the
    whole level. Unbounded: the network clamps the level to its last stage."""
    fade, stabilize = fade_kimg * 1000, stabilize_kimg * 1000  # in images: stage boundaries fall on whole images
    t = nimg - stabilize
    if t <= 0:
        return float(start)
    stages = math.floor(t / (fade + stabilize))
    into = t - stages * (fade + stabilize)
    return start + stages + (min(into / fade, 1.0) if fade > 0 else 1.0)


@dataclass(frozen=True)
class ScheduleKind:
    """A registered schedule: the function and the parameters it needs from a :class:`Schedule`."""

    fn: Callable[..., float]
    params: tuple[str, ...]


SCHEDULES: Registry[ScheduleKind] = Registry("schedule")
SCHEDULES.register("constant", ScheduleKind(constant, ("start",)))
SCHEDULES.register("linear", ScheduleKind(linear, ("start", "end", "ramp_kimg", "warmup_kimg")))
SCHEDULES.register("cosine", ScheduleKind(cosine, ("start", "end", "ramp_kimg", "warmup_kimg")))
SCHEDULES.register("step", ScheduleKind(step, ("start", "factor", "every_kimg")))
SCHEDULES.register("piecewise", ScheduleKind(piecewise, ("points",)))
SCHEDULES.register("grow", ScheduleKind(grow, ("start", "fade_kimg", "stabilize_kimg")))

TARGETS = ("G.lr", "D.lr", "G.beta2", "D.beta2", "ema_kimg", "augment.p", "blur_sigma")
"""Schedule targets every run has; ``reg.<name>`` for each regulariser and a family's own targets are added."""


@dataclass(frozen=True)
class Schedule(Config):
    """One scheduled hyper-parameter (``--schedule reg.r1=cosine,start=10,end=1,ramp_kimg=500``)."""

    target: str = "G.lr"
    """What follows the schedule: ``G.lr``, ``D.lr``, ``G.beta2``, ``D.beta2``, ``reg.<name>``, ``ema_kimg``,
    ``augment.p``, ``blur_sigma``, ``growth``, or a family's own target."""
    kind: str = "constant"
    """A registered schedule kind: constant, linear, cosine, step, piecewise, grow."""
    start: float | None = None
    """Value at the start (after warm-up); ``None`` = the target's base value from the config."""
    end: float | None = None
    ramp_kimg: float = 0.0
    warmup_kimg: float = 0.0
    factor: float = 1.0
    every_kimg: float = 1.0
    points: tuple[tuple[float, float], ...] = ()
    fade_kimg: float = 600.0
    """``grow``: thousands of images of each fade-in."""
    stabilize_kimg: float = 600.0
    """``grow``: thousands of images at each stage before the next fades in (and at the first stage)."""

    def __post_init__(self) -> None:
        SCHEDULES.get(self.kind)
        if not self.target:
            raise ValueError("a schedule needs a target")
        if self.kind in ("linear", "cosine") and self.end is None:
            raise ValueError(f"schedule {self.target}={self.kind}: needs end=VALUE")
        if min(self.ramp_kimg, self.warmup_kimg) < 0 or self.every_kimg <= 0:
            raise ValueError(f"schedule {self.target}: ramp_kimg and warmup_kimg must be >= 0, every_kimg > 0")
        if min(self.fade_kimg, self.stabilize_kimg) < 0 or self.fade_kimg + self.stabilize_kimg <= 0:
            raise ValueError(f"schedule {self.target}: fade_kimg and stabilize_kimg must be >= 0, not both 0")
        if self.kind == "piecewise" and not self.points:
            raise ValueError(f"schedule {self.target}=piecewise: needs points=KIMG:VALUE;KIMG:VALUE...")
        if any(b[0] < a[0] for a, b in zip(self.points, self.points[1:])):
            raise ValueError(f"schedule {self.target}: points must be sorted by kimg")

    def value(self, nimg: float, base: float) -> float:
        """The scheduled value after ``nimg`` images (``base`` stands in for ``start=None`` / ``end=None``)."""
        kind = SCHEDULES.get(self.kind)
        args = {"start": base if self.start is None else self.start, "end": base if self.end is None else self.end,
                "ramp_kimg": self.ramp_kimg, "warmup_kimg": self.warmup_kimg, "factor": self.factor,
                "every_kimg": self.every_kimg, "points": self.points, "fade_kimg": self.fade_kimg,
                "stabilize_kimg": self.stabilize_kimg}
        return kind.fn(nimg, **{k: args[k] for k in kind.params})


PARAMS = ("start", "end", "ramp_kimg", "warmup_kimg", "factor", "every_kimg", "points", "fade_kimg", "stabilize_kimg")


def parse_schedule(spec: str) -> Schedule:
    """``"TARGET=KIND[,key=value...]"`` -> :class:`Schedule`; ``points=0:10;500:1`` for piecewise."""
    target, sep, rest = spec.partition("=")
    if not sep or not target.strip():
        raise ValueError(f"--schedule {spec!r}: expected TARGET=KIND[,key=value...], e.g. "
                         "reg.r1=cosine,start=10,end=1,ramp_kimg=500")
    kind, *pairs = rest.split(",")
    values: dict = {"target": target.strip(), "kind": kind.strip()}
    SCHEDULES.get(values["kind"])  # unknown kind -> one error listing the valid names
    for pair in pairs:
        key, eq, text = pair.partition("=")
        key = key.strip()
        if not eq or key not in PARAMS:
            raise ValueError(f"--schedule {spec!r}: bad parameter {pair!r} ({', '.join(PARAMS)})")
        try:
            if key == "points":
                values[key] = [[float(x) for x in p.split(":")] for p in text.split(";") if p.strip()]
            else:
                values[key] = float(text)
        except ValueError:
            raise ValueError(f"--schedule {spec!r}: {key} must be a number (points: KIMG:VALUE;...)") from None
    return Schedule.from_dict(values)


def check_targets(schedules: tuple[Schedule, ...], valid: list[str]) -> None:
    """``ValueError`` listing the valid targets for a schedule whose target the run does not have."""
    seen = set()
    for s in schedules:
        if s.target not in valid:
            raise ValueError(f"unknown schedule target {s.target!r}; valid: {', '.join(valid)}")
        if s.target in seen:
            raise ValueError(f"schedule target {s.target!r} is given twice")
        seen.add(s.target)
