"""Training phases as data, and the one place where lazy regularisation is corrected.

StyleGAN2 (Karras et al. 2020, Sec. 3.1, "lazy regularization") evaluates the regularisers (R1 for
D, path length for G) only every ``reg_interval`` minibatches, in a separate optimiser step. Two
corrections keep the training dynamics those of the non-lazy objective:

* the regulariser's gain is multiplied by the interval (its gradient is applied ``1 / interval``
  times as often), see :func:`reg_gain`;
* the optimiser, which now takes ``interval + 1`` steps where it used to take ``interval``, gets
  ``lr * r`` and ``betas ** r`` with ``r = interval / (interval + 1)`` (the "minibatch ratio"),
  see :func:`lazy_reg_hparams`.

Each :class:`Phase` names the network it updates, the loss terms it evaluates and how often it runs;
the loop runs the phases that are due (``phase.is_due(batch_idx)``) in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TERMS = ("main", "reg")
MODULES = ("G", "D")


@dataclass(frozen=True)
class Phase:
    """One optimiser step of one network on a subset of its loss terms.

    Attributes:
        name: ``Gmain``, ``Greg``, ``Dmain``, ``Dreg`` (lazy regularisation) or ``Gboth``/``Dboth``.
        module: The network that this phase updates, ``"G"`` or ``"D"``.
        terms: The loss terms evaluated, a non-empty subset of ``("main", "reg")`` in that order.
        interval: The phase runs on minibatches whose index is a multiple of ``interval``.
    """

    name: str
    module: Literal["G", "D"]
    terms: tuple[str, ...]
    interval: int

    def __post_init__(self) -> None:
        if self.module not in MODULES:
            raise ValueError(f"Phase {self.name!r}: module must be one of {list(MODULES)}, got {self.module!r}")
        if not self.terms or any(t not in TERMS for t in self.terms) or len(set(self.terms)) != len(self.terms):
            raise ValueError(f"Phase {self.name!r}: terms must be a non-empty subset of {list(TERMS)}, got {self.terms!r}")
        if isinstance(self.interval, bool) or not isinstance(self.interval, int) or self.interval < 1:
            raise ValueError(f"Phase {self.name!r}: interval must be an int >= 1, got {self.interval!r}")

    def is_due(self, batch_idx: int) -> bool:
        """Whether this phase runs on minibatch ``batch_idx`` (counted from 0)."""
        if batch_idx < 0:
            raise ValueError(f"batch_idx must be >= 0, got {batch_idx}")
        return batch_idx % self.interval == 0


def _is_lazy(reg_interval: int | None) -> bool:
    if reg_interval is None:
        return False
    if isinstance(reg_interval, bool) or not isinstance(reg_interval, int) or reg_interval < 0:
        raise ValueError(f"reg_interval must be None or an int >= 0, got {reg_interval!r}")
    return reg_interval > 0


def lazy_reg_hparams(
    lr: float, betas: tuple[float, float], reg_interval: int | None | tuple[int, ...]
) -> tuple[float, tuple[float, float], float]:
    """Adam hyper-parameters corrected for lazy regularisation (the "minibatch ratio" of StyleGAN2-ADA).

    With ``I = reg_interval``, ``r = I / (I + 1)``. Over ``I`` minibatches the optimiser takes
    ``I + 1`` steps instead of ``I``; scaling the learning rate by ``r`` and raising the momentum
    decays to the power ``r`` keeps the step size and momentum horizons, measured in minibatches,
    those of the non-lazy schedule.

    Args:
        lr: Base learning rate.
        betas: Base Adam ``(beta1, beta2)``.
        reg_interval: Lazy regularisation interval; ``None`` or 0 means no lazy regularisation. A tuple of
            intervals (several lazy phases on one network) gives ``r = 1 / (1 + sum_k 1 / I_k)``: the optimiser
            takes ``1 + sum_k 1 / I_k`` steps per minibatch.

    Returns:
        ``(lr * r, (beta1 ** r, beta2 ** r), r)``; ``r = 1`` (unchanged values) without lazy regularisation.
    """
    if isinstance(reg_interval, tuple):
        lazy = [k for k in reg_interval if _is_lazy(k)]
        if len(lazy) > 1:
            beta1, beta2 = betas
            r = 1.0 / (1.0 + sum(1.0 / k for k in lazy))
            return lr * r, (beta1**r, beta2**r), r
        reg_interval = lazy[0] if lazy else None
    r = reg_interval / (reg_interval + 1) if _is_lazy(reg_interval) else 1.0
    beta1, beta2 = betas
    return lr * r, (beta1**r, beta2**r), r


def _module_phases(module: Literal["G", "D"], reg_interval: int | None) -> list[Phase]:
    if not _is_lazy(reg_interval):
        return [Phase(f"{module}both", module, ("main", "reg"), 1)]
    return [Phase(f"{module}main", module, ("main",), 1), Phase(f"{module}reg", module, ("reg",), reg_interval)]


def stylegan2_phases(g_reg_interval: int | None = 4, d_reg_interval: int | None = 16) -> list[Phase]:
    """The StyleGAN2 phase schedule, G before D.

    Args:
        g_reg_interval: Path-length regularisation interval (official: 4); ``None``/0 = every step, with the main loss.
        d_reg_interval: R1 interval (official: 16); ``None``/0 = every step, with the main loss.

    Returns:
        Lazy: ``[Gmain(main, 1), Greg(reg, g_reg_interval), Dmain(main, 1), Dreg(reg, d_reg_interval)]``;
        a network without lazy regularisation gets one ``Gboth``/``Dboth`` phase with both terms, interval 1.
    """
    return _module_phases("G", g_reg_interval) + _module_phases("D", d_reg_interval)


def regularized_phases(module: Literal["G", "D"], lazy_intervals: tuple[int, ...], eager: bool) -> list[Phase]:
    """The phases of one network with regularisers at ``lazy_intervals`` (each its own phase) and, when ``eager``,
    some evaluated every step with the main loss. One lazy interval and no eager term is :func:`_module_phases`
    (``[Mmain, Mreg]``); no lazy term gives ``[Mboth]``; several lazy intervals give ``Mreg<k>`` phases."""
    lazy = sorted({k for k in lazy_intervals if _is_lazy(k)})
    if not lazy:
        return _module_phases(module, None)
    main = Phase(f"{module}both", module, ("main", "reg"), 1) if eager else Phase(f"{module}main", module, ("main",), 1)
    if len(lazy) == 1:
        return [main, Phase(f"{module}reg", module, ("reg",), lazy[0])]
    return [main] + [Phase(f"{module}reg{k}", module, ("reg",), k) for k in lazy]


def reg_gain(phase: Phase) -> float:
    """The factor on the regulariser in ``phase``: its interval for a lazy ``reg``-only phase, 1 otherwise.

    For R1 the regulariser's total weight is ``r1_gamma / 2 * reg_gain(phase)``; for path length
    ``pl_weight * reg_gain(phase)``.
    """
    return float(phase.interval) if phase.terms == ("reg",) else 1.0
