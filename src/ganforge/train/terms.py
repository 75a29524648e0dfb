"""Stateful training terms: one protocol for every value that training tracks besides the weights.

A term has ``state_dict()`` / ``load_state_dict()`` (checkpointed under ``state["terms"][name]``) and
``update(outputs, env)``, called by the loop after each phase with the outputs of all its rounds; everything a term
reads is averaged over rounds and processes first, so every process holds the same state. Terms:

* ``pl``: the path-length mean ``pl_mean`` (StyleGAN2), moved by ``pl_decay`` toward the phase's mean length;
* ``w_avg``: G's tracked mean w (the truncation centre), ``w_avg <- lerp(mean w, w_avg, w_avg_beta)``;
* ``lecam``: the LeCam anchors (EMA of D's mean real / fake logits);
* ``ada``: the augmentation probability ``p`` and the r_t accumulator (train/ada.py moves ``p``).

The objective reads term state through :meth:`TermSet.values` (``pl_mean``, the LeCam anchors) and writes what the
terms need into its outputs (``pl_lengths_mean``, ``w_mean``, ``lecam_real``/``lecam_fake``).
"""

from __future__ import annotations

from typing import Protocol

import torch

from ganforge.train.distributed import DistEnv, all_reduce_mean


class TrainingTerm(Protocol):
    name: str

    def state_dict(self) -> dict[str, torch.Tensor]: ...

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None: ...

    def update(self, outputs: list[dict[str, torch.Tensor]], env: DistEnv) -> dict[str, torch.Tensor]:
        """Move the state from one phase's round outputs; returns statistics to report."""
        ...


def _mean_of(outputs: list[dict[str, torch.Tensor]], key: str, env: DistEnv) -> torch.Tensor | None:
    values = [o[key] for o in outputs if key in o]
    return all_reduce_mean(torch.stack(values).mean(0), env) if values else None


class PathLengthMean:
    """``pl_mean``: the running mean of StyleGAN2's path lengths (Karras et al. 2020, Sec. 3.2)."""

    name = "pl"

    def __init__(self, decay: float, device: torch.device | str = "cpu") -> None:
        self.decay = decay
        self.pl_mean = torch.zeros([], device=device)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"pl_mean": self.pl_mean.detach().cpu()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.pl_mean = torch.as_tensor(state["pl_mean"]).to(self.pl_mean.device, torch.float32)

    def update(self, outputs, env) -> dict[str, torch.Tensor]:
        batch_mean = _mean_of(outputs, "pl_lengths_mean", env)
        if batch_mean is None:
            return {}
        self.pl_mean = self.pl_mean.lerp(batch_mean, self.decay)
        return {"Loss/pl_mean": self.pl_mean}


class WAvgTracker:
    """G's ``mapping.w_avg`` buffer, moved toward the mean w of the generated batches (StyleGAN truncation centre)."""

    name = "w_avg"

    def __init__(self, mapping: torch.nn.Module) -> None:
        self.mapping = mapping

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"w_avg": self.mapping.w_avg.detach().cpu()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.mapping.w_avg.copy_(torch.as_tensor(state["w_avg"]))

    @torch.no_grad()
    def update(self, outputs, env) -> dict[str, torch.Tensor]:
        w_mean = _mean_of(outputs, "w_mean", env)
        if w_mean is not None:
            self.mapping.w_avg.copy_(w_mean.lerp(self.mapping.w_avg, self.mapping.w_avg_beta))
        return {}


class LeCamTerm:
    """The LeCam anchors (Tseng et al. 2021) as a term: the penalty reads them, the loop moves them after the phase."""

    name = "lecam"

    def __init__(self, decay: float = 0.99, device: torch.device | str = "cpu") -> None:
        from ganforge.losses.lecam import LeCamAnchors

        self.anchors = LeCamAnchors(decay).to(device)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu() for k, v in self.anchors.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.anchors.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})

    def update(self, outputs, env) -> dict[str, torch.Tensor]:
        real, fake = _mean_of(outputs, "lecam_real", env), _mean_of(outputs, "lecam_fake", env)
        if real is None or fake is None:
            return {}
        self.anchors.update(real, fake)
        return {"Loss/lecam_anchor_real": self.anchors.anchor_real.clone(),
                "Loss/lecam_anchor_fake": self.anchors.anchor_fake.clone()}


class AdaState:
    """ADA's ``p`` and its r_t accumulator ``(sum of sign(D(real)), count)``; ``train/ada.py`` moves them."""

    name = "ada"

    def __init__(self, p: float, device: torch.device | str = "cpu") -> None:
        self.p = float(p)
        self.acc = torch.zeros([2], dtype=torch.float64, device=device)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"p": torch.tensor(self.p, dtype=torch.float64), "acc": self.acc.detach().cpu()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.p = float(torch.as_tensor(state["p"]))
        self.acc = torch.as_tensor(state["acc"], dtype=torch.float64).to(self.acc.device)

    def update(self, outputs, env) -> dict[str, torch.Tensor]:
        return {}  # the tuner accumulates per round (train/ada.py: observe) and moves p per minibatch (step)


class TermSet:
    """The run's terms by name, with the values the objective reads."""

    def __init__(self, terms: list[TrainingTerm]) -> None:
        self.terms = {t.name: t for t in terms}

    def __contains__(self, name: str) -> bool:
        return name in self.terms

    def __getitem__(self, name: str) -> TrainingTerm:
        return self.terms[name]

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: term.state_dict() for name, term in self.terms.items()}

    def load_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, term in self.terms.items():
            if name in state:
                term.load_state_dict(state[name])

    def update(self, outputs: list[dict[str, torch.Tensor]], env: DistEnv) -> dict[str, torch.Tensor]:
        """Every term's update from one phase's round outputs; the statistics they report."""
        stats: dict[str, torch.Tensor] = {}
        for term in self.terms.values():
            stats.update(term.update(outputs, env))
        return stats

    def values(self) -> dict[str, object]:
        """What the objective reads: ``pl_mean`` and the LeCam anchors module."""
        out: dict[str, object] = {}
        if "pl" in self.terms:
            out["pl_mean"] = self.terms["pl"].pl_mean
        if "lecam" in self.terms:
            out["lecam"] = self.terms["lecam"].anchors
        return out
