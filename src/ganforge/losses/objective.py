"""The StyleGAN2 objective: which terms each training phase computes (Karras et al. 2020, sec. 2-3 and app. B).

``StyleGAN2Objective.compute(phase, ...)`` runs the networks for one round of one phase and returns the scalar to
backpropagate plus per-sample statistics. It never calls ``backward``, never logs and never touches process groups:
the loop does that. Adversarial losses come from the registry (``losses/adversarial.py``) and penalties are the pure
functions of ``losses/penalties.py``, so adding a loss is a registration, not a branch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from ganforge.losses.adversarial import AdversarialLoss
from ganforge.losses.penalties import path_length_penalty, r1_penalty
from ganforge.train.phases import Phase, reg_gain


@dataclass
class PhaseOutput:
    """What one round of one phase produced."""

    loss: torch.Tensor
    """Scalar to backpropagate (terms reduced over the batch, weighted, lazy gain applied)."""
    stats: dict[str, torch.Tensor] = field(default_factory=dict)
    """Detached per-sample values by name (``Loss/G/loss``, ``Loss/r1_penalty``, ...)."""
    pl_lengths_mean: torch.Tensor | None = None
    """Mean path length of this round (the loop updates ``pl_mean`` from it)."""
    w_mean: torch.Tensor | None = None
    """Mean w of the generated batch (the loop updates ``G.mapping.w_avg`` from it)."""


@dataclass(frozen=True)
class StyleGAN2Objective:
    """Non-saturating logistic loss (or any registered one) + lazy R1 + path length + style mixing."""

    adversarial: AdversarialLoss
    r1_gamma: float = 10.0
    pl_weight: float = 2.0
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing_prob: float = 0.9
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None
    """Differentiable augmentation applied to every image D sees (reals, fakes, R1 inputs); ``None`` = none."""

    def run_D(self, D: torch.nn.Module, img: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """``D(augment(img), c)``: the only way the objective calls D on one batch."""
        if self.augment is not None:
            img = self.augment(img)
        return D(img, c)

    def run_D_many(self, D: torch.nn.Module, imgs: list[torch.Tensor], cs: list) -> list[torch.Tensor]:
        """``run_D`` on several batches; one batched pass when D has ``forward_many`` (same result, faster)."""
        if self.augment is not None:
            imgs = [self.augment(img) for img in imgs]
        if hasattr(D, "forward_many"):
            return D.forward_many(imgs, cs)
        return [D(img, c) for img, c in zip(imgs, cs)]

    def run_G(self, G: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``img [N, C, H, W], ws [N, num_ws, w_dim]`` with style mixing: with probability ``style_mixing_prob`` the
        layers from a random cutoff on take the styles of a second latent (one cutoff per batch, as in the paper)."""
        ws = G.mapping(z, c)  # [N, num_ws, w_dim]
        if self.style_mixing_prob > 0:
            num_ws = ws.shape[1]
            cutoff = int(torch.randint(1, num_ws, []).item()) if num_ws > 1 else num_ws
            if torch.rand([]).item() >= self.style_mixing_prob:
                cutoff = num_ws
            z2 = torch.randn_like(z)
            if cutoff < num_ws:
                ws = torch.cat([ws[:, :cutoff], G.mapping(z2, c)[:, cutoff:]], dim=1)
        img = G.synthesis(ws)
        return img, ws

    def compute(
        self,
        phase: Phase,
        G: torch.nn.Module,
        D: torch.nn.Module,
        real_img: torch.Tensor,
        real_c: torch.Tensor | None,
        gen_z: torch.Tensor,
        gen_c: torch.Tensor | None,
        pl_mean: torch.Tensor,
    ) -> PhaseOutput:
        """One round of ``phase``: ``real_img [N, C, H, W]`` in [-1, 1], ``gen_z [N, z_dim]``, ``c [N, c_dim]``."""
        do_main = "main" in phase.terms
        do_reg = "reg" in phase.terms
        gain = reg_gain(phase)
        if phase.module == "G":
            return self._generator_phase(G, D, gen_z, gen_c, pl_mean, do_main, do_reg and self.pl_weight > 0, gain)
        return self._discriminator_phase(G, D, real_img, real_c, gen_z, gen_c, do_main,
                                         do_reg and self.r1_gamma > 0, gain)

    def _generator_phase(self, G, D, gen_z, gen_c, pl_mean, do_main, do_reg, gain) -> PhaseOutput:
        loss = gen_z.new_zeros([])
        out = PhaseOutput(loss=loss)
        if do_main:
            img, _ = self.run_G(G, gen_z, gen_c)
            logits = self.run_D(D, img, gen_c)
            g_loss = self.adversarial.g_loss(logits)  # [N]
            out.stats["Loss/scores/fake"] = logits.detach().flatten()
            out.stats["Loss/G/loss"] = g_loss.detach()
            loss = loss + g_loss.mean()
        if do_reg:
            n = max(gen_z.shape[0] // self.pl_batch_shrink, 1)
            img, ws = self.run_G(G, gen_z[:n], gen_c[:n] if gen_c is not None else None)
            penalty, _, lengths = path_length_penalty(img, ws, pl_mean, decay=self.pl_decay)
            out.stats["Loss/pl_penalty"] = penalty.detach()
            out.stats["Loss/pl_length"] = lengths
            out.pl_lengths_mean = lengths.mean()
            loss = loss + (penalty * self.pl_weight).mean() * gain
        out.loss = loss
        return out

    def _discriminator_phase(self, G, D, real_img, real_c, gen_z, gen_c, do_main, do_reg, gain) -> PhaseOutput:
        loss = real_img.new_zeros([])
        out = PhaseOutput(loss=loss)
        real = real_img.detach().requires_grad_(do_reg)
        if do_main:
            with torch.no_grad():
                gen_img, ws = self.run_G(G, gen_z, gen_c)
            out.w_mean = ws[:, 0].mean(dim=0)
            fake_logits, real_logits = self.run_D_many(D, [gen_img, real], [gen_c, real_c])
            d_fake = self.adversarial.d_fake_loss(fake_logits)
            d_real = self.adversarial.d_real_loss(real_logits)
            out.stats["Loss/scores/fake"] = fake_logits.detach().flatten()
            out.stats["Loss/D/loss"] = (d_real + d_fake).detach()
            loss = loss + d_fake.mean() + d_real.mean()
        elif do_reg:
            real_logits = self.run_D(D, real, real_c)
        if do_main or do_reg:
            out.stats["Loss/scores/real"] = real_logits.detach().flatten()
        if do_reg:
            penalty = r1_penalty(real, real_logits)  # [N]
            out.stats["Loss/r1_penalty"] = penalty.detach()
            loss = loss + (penalty * (self.r1_gamma / 2)).mean() * gain
        out.loss = loss
        return out
