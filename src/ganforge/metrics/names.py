"""Metric names, parsed into a protocol: ``fid50k_full`` -> FID, 50 000 fakes, the full dataset as reference.

The grammar extends NVIDIA's names (``fid50k_full``, ``kid50k_full``, ``pr50k3_full``, ``is50k``, ``ppl_wend``,
``ppl2_wend``, ``fid50k``, ``kid50k``, ``pr50k3``) to any size and to the weight-free metrics:

* ``<kind><N>k[_full]`` for ``kind`` in fid, kid, rfid, rkid, swd: ``N`` thousand fakes (``N`` may be a decimal, e.g.
  ``swd0.5k``) against the first ``N`` thousand dataset images, or against the whole dataset with ``_full``.
* ``<kind><N>`` (no ``k``): exactly ``N`` fakes, e.g. ``rfid500``.
* ``pr<N>k3[_full]``: improved precision/recall with k = 3 (``_full``: up to 200 k reals, as NVIDIA).
* ``is<N>k``: Inception score (no reals).
* ``ppl_{z,w}{full,end}[<N>k]`` (face crop, StyleGAN2) and ``ppl2_{z,w}{full,end}[<N>k]`` (no crop, ADA); 50 k samples
  unless a size is given.
* ``eqt<N>[k]_int``, ``eqt<N>[k]_frac``, ``eqr<N>[k]``: StyleGAN3's equivariance PSNRs in dB (``eqt50k_int``,
  ``eqt50k_frac``, ``eqr50k`` as NVIDIA names them); no reals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FEATURE_KINDS = ("fid", "kid", "rfid", "rkid", "swd")
PR_FULL_MAX_REAL = 200_000  # NVIDIA pr50k3_full: up to 200 k reals
KID_FULL_MAX_REAL = 1_000_000  # NVIDIA kid50k_full: up to 1 M reals
PPL_DEFAULT_SAMPLES = 50_000

_SIZE = r"(?P<num>\d+(?:\.\d+)?)(?P<k>k)?"
_FEATURE_RE = re.compile(rf"^(?P<kind>{'|'.join(sorted(FEATURE_KINDS, key=len, reverse=True))}){_SIZE}(?P<full>_full)?$")
_PR_RE = re.compile(rf"^pr{_SIZE}3(?P<full>_full)?$")
_IS_RE = re.compile(rf"^is{_SIZE}$")
_EQT_RE = re.compile(rf"^eqt{_SIZE}_(?P<mode>int|frac)$")
_EQR_RE = re.compile(rf"^eqr{_SIZE}$")
_PPL_RE = re.compile(rf"^ppl(?P<v2>2)?_(?P<space>[zw])(?P<sampling>full|end)(?:{_SIZE})?$")


@dataclass(frozen=True)
class MetricSpec:
    """What a metric name means.

    Attributes:
        name: The name as given (the key of the result).
        kind: ``fid, kid, rfid, rkid, swd, pr, is, ppl, eqt_int, eqt_frac, eqr``.
        num_gen: Generated images (PPL: sample pairs).
        max_real: Reference images taken from the start of the dataset (``None`` = all; 0 = no reals needed).
        full: The ``_full`` protocol (the whole dataset, capped only by NVIDIA's maxima).
        ppl_space: ``z`` or ``w`` (PPL only).
        ppl_sampling: ``full`` or ``end`` (PPL only).
        ppl_crop: Face crop before the distance (PPL only).
    """

    name: str
    kind: str
    num_gen: int
    max_real: int | None
    full: bool = False
    ppl_space: str | None = None
    ppl_sampling: str | None = None
    ppl_crop: bool = False

    @property
    def lower_is_better(self) -> bool:
        return self.kind not in ("is", "pr", "eqt_int", "eqt_frac", "eqr")


def _count(match: re.Match, name: str) -> int:
    value = float(match["num"]) * (1000 if match["k"] else 1)
    if value < 1 or value != int(value):
        raise ValueError(f"metric {name!r}: the size must be a whole number of images >= 1, got {value:g}")
    return int(value)


def parse_metric(name: str) -> MetricSpec:
    """The :class:`MetricSpec` of ``name``; ``ValueError`` with the grammar when it does not parse."""
    name = name.strip()
    if m := _FEATURE_RE.match(name):
        n = _count(m, name)
        full = bool(m["full"])
        max_real = (KID_FULL_MAX_REAL if m["kind"] in ("kid", "rkid") else None) if full else n
        return MetricSpec(name, m["kind"], n, max_real, full)
    if m := _PR_RE.match(name):
        n = _count(m, name)
        full = bool(m["full"])
        return MetricSpec(name, "pr", n, PR_FULL_MAX_REAL if full else n, full)
    if m := _IS_RE.match(name):
        return MetricSpec(name, "is", _count(m, name), 0)
    if m := _EQT_RE.match(name):
        return MetricSpec(name, f"eqt_{m['mode']}", _count(m, name), 0)
    if m := _EQR_RE.match(name):
        return MetricSpec(name, "eqr", _count(m, name), 0)
    if m := _PPL_RE.match(name):
        n = _count(m, name) if m["num"] else PPL_DEFAULT_SAMPLES
        return MetricSpec(name, "ppl", n, 0, ppl_space=m["space"], ppl_sampling=m["sampling"], ppl_crop=not m["v2"])
    raise ValueError(
        f"unknown metric {name!r}; names are <kind><N>k[_full] with kind in {', '.join(FEATURE_KINDS)} "
        "(e.g. fid50k_full, kid50k_full, rfid10k, swd1k), pr<N>k3[_full], is<N>k, ppl[2]_{z,w}{full,end}[<N>k], "
        "eqt<N>k_{int,frac}, eqr<N>k"
    )


def parse_metric_list(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"fid50k_full,swd1k"`` (or a list) -> validated names; ``none``/empty -> ``()``."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    names = tuple(item.strip() for item in items if item.strip() and item.strip().lower() != "none")
    for name in names:
        parse_metric(name)
    if len(set(names)) != len(names):
        raise ValueError(f"--metrics lists a metric twice: {', '.join(names)}")
    return names
