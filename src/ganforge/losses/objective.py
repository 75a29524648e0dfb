"""The GAN objective: which terms each training phase computes, for any model (StyleGAN2: Karras et al. 2020).

``GANObjective.compute(phase, ...)`` runs the networks for one round of one phase and returns the scalar to
backpropagate plus per-sample statistics. It never calls ``backward``, never logs and never touches process groups:
the loop does that. Adversarial losses come from the registry (``losses/adversarial.py``) and regularisers are the
registered terms of ``losses/regularizers.py`` (each wrapping a pure penalty of ``losses/penalties.py``), so adding a
loss or a regulariser is a registration, not a branch here.

StyleGAN-only steps are chosen by the generator's declared capabilities (``models/network.py``), not by model name: a
G with a mapping network is run through ``mapping``/``synthesis`` (style mixing, ``ws`` for path length, the mean w
for ``w_avg``); any other G is called as ``G(z, c)``. Every D call goes through :meth:`GANObjective.run_D` /
:meth:`GANObjective.run_D_many`, so blur and augmentation apply to every model.

Scheduled hyper-parameters (``train/schedules.py``) reach the objective through :attr:`GANObjective.live`: the loop
sets the penalty weights (``reg.<name>``) and ``blur_sigma`` for the current ``cur_nimg`` before each phase.

The StyleGAN2 recipe is ``GANObjective(nonsaturating, regs=(r1 gamma every 16, pl 2 every 4), style_mixing_prob=0.9)``;
``StyleGAN2Objective`` is the same class under its earlier name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import torch

from ganforge.augment.blur import gaussian_blur
from ganforge.backbones.frozen import frozen_parameter_ids
from ganforge.losses.adversarial import AdversarialLoss
from ganforge.losses.regularizers import ActiveReg, RegContext
from ganforge.models.network import generator_caps

if TYPE_CHECKING:
    from ganforge.train.phases import Phase

TERM_OUTPUTS = ("pl_lengths_mean", "w_mean", "lecam_real", "lecam_fake")
"""Round outputs that stateful training terms read (train/terms.py), kept apart from the statistics."""


@dataclass
class PhaseOutput:
    """What one round of one phase produced."""

    loss: torch.Tensor
    """Scalar to backpropagate (terms reduced over the batch, weighted, lazy gain applied)."""
    stats: dict[str, torch.Tensor] = field(default_factory=dict)
    """Detached per-sample values by name (``Loss/G/loss``, ``Loss/r1_penalty``, ...)."""
    terms: dict[str, torch.Tensor] = field(default_factory=dict)
    """What the stateful terms read (:data:`TERM_OUTPUTS`: mean path length, mean w, LeCam logit means)."""


@dataclass(frozen=True)
class GANObjective:
    """Any registered adversarial loss + any registered regularisers (+ style mixing for mapping-network G)."""

    adversarial: AdversarialLoss
    regs: tuple[ActiveReg, ...] = ()
    """Active regularisers; eager ones (interval 0) run in the main phase, lazy ones in the phase of their interval."""
    style_mixing_prob: float = 0.0
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    state: dict[str, torch.nn.Module] = field(default_factory=dict)
    """State modules of stateful regularisers by name (LeCam anchors); the loop checkpoints them."""
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None
    """Differentiable augmentation applied to every image D sees (reals, fakes, R1 inputs); ``None`` = none."""
    live: dict[str, float] = field(default_factory=dict)
    """Scheduled values for the current ``cur_nimg``: ``reg.<name>`` penalty weights and ``blur_sigma``."""

    def _d_input(self, img: torch.Tensor) -> torch.Tensor:
        sigma = self.live.get("blur_sigma", 0.0)
        if sigma > 0:  # blur what D sees early in training (StyleGAN3, Karras et al. 2021)
            img = gaussian_blur(img, sigma)
        return self.augment(img) if self.augment is not None else img

    def run_D(self, D: torch.nn.Module, img: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        """``D(augment(blur(img)), c)``: the only way the objective calls D on one batch."""
        return D(self._d_input(img), c)

    def run_D_many(self, D: torch.nn.Module, imgs: list[torch.Tensor], cs: list) -> list[torch.Tensor]:
        """``run_D`` on several batches; one batched pass when D has ``forward_many`` (same result, faster)."""
        imgs = [self._d_input(img) for img in imgs]
        if hasattr(D, "forward_many"):
            return D.forward_many(imgs, cs)
        return [D(img, c) for img, c in zip(imgs, cs)]

    def run_G(self, G: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``img [N, C, H, W], ws [N, num_ws, w_dim] | None``. A mapping-network G gets style mixing: with probability
        ``style_mixing_prob`` the layers from a random cutoff on take the styles of a second latent (one cutoff per
        batch, as in the paper); any other G is called as ``G(z, c)`` and returns no ``ws``."""
        if not generator_caps(G).has_mapping:
            return G(z, c), None
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

    def regs_of(self, phase: Phase) -> tuple[ActiveReg, ...]:
        """The regularisers ``phase`` evaluates: eager ones with the main loss, lazy ones in the phase of their interval."""
        if "reg" not in phase.terms:
            return ()
        mine = [r for r in self.regs if r.reg.module == phase.module]
        if "main" in phase.terms:
            return tuple(r for r in mine if not r.lazy)
        return tuple(r for r in mine if r.lazy and r.interval == phase.interval)

    def compute(
        self,
        phase: Phase,
        G: torch.nn.Module,
        D: torch.nn.Module,
        real_img: torch.Tensor,
        real_c: torch.Tensor | None,
        gen_z: torch.Tensor,
        gen_c: torch.Tensor | None,
        pl_mean: torch.Tensor | None = None,
        *,
        cur_nimg: int = 0,
    ) -> PhaseOutput:
        """One round of ``phase`` after ``cur_nimg`` images: ``real_img [N, C, H, W]`` in [-1, 1],
        ``gen_z [N, z_dim]``, ``c [N, c_dim]``; ``pl_mean`` is the path-length term's state."""
        pl_mean = gen_z.new_zeros([]) if pl_mean is None else pl_mean
        ctx = RegContext(run_G=lambda z, c: self.run_G(G, z, c), run_D=lambda img, c: self.run_D(D, img, c),
                         real_img=real_img, real_c=real_c, gen_z=gen_z, gen_c=gen_c, pl_mean=pl_mean, cur_nimg=cur_nimg,
                         pl_batch_shrink=self.pl_batch_shrink, pl_decay=self.pl_decay, state=self.state)
        regs = self.regs_of(phase)
        loss = real_img.new_zeros([]) if phase.module == "D" else gen_z.new_zeros([])
        out = PhaseOutput(loss=loss)
        if "main" in phase.terms:
            if phase.module == "G":
                loss = loss + self._generator_main(G, D, ctx, out)
            else:
                loss = loss + self._discriminator_main(G, D, ctx, out, regs)
        # Imported here: any ganforge.train module runs ganforge/train/__init__.py, which imports the loop, which
        # imports this module (a module-level import fails when this module is imported first).
        from ganforge.train.phases import reg_gain

        gain = reg_gain(phase)
        for reg in regs:
            penalty = reg.reg.penalty(ctx)  # [N]
            weight = self.live.get(f"reg.{reg.name}", reg.weight)
            loss = loss + (penalty * (weight * reg.reg.scale)).mean() * gain
        for name, value in ctx.outputs.items():
            (out.terms if name in TERM_OUTPUTS else out.stats)[name] = value
        out.loss = loss
        return out

    def after_step(self, phase: Phase, module: torch.nn.Module) -> None:
        """Constraints applied after the optimiser step: WGAN weight clipping of D to ``[-c, c]``."""
        clip = self.adversarial.weight_clip
        if clip is not None and phase.module == "D":
            frozen = frozen_parameter_ids(module)  # a pretrained feature network inside D keeps its weights
            with torch.no_grad():
                for p in module.parameters():
                    if id(p) not in frozen:
                        p.clamp_(-clip, clip)

    def _generator_main(self, G, D, ctx: RegContext, out: PhaseOutput) -> torch.Tensor:
        img, _ = self.run_G(G, ctx.gen_z, ctx.gen_c)
        if self.adversarial.needs_real_for_g:
            logits, real_logits = self.run_D_many(D, [img, ctx.real_img.detach()], [ctx.gen_c, ctx.real_c])
        else:
            logits, real_logits = self.run_D(D, img, ctx.gen_c), None
        g_loss = self.adversarial.generator(logits, real_logits)  # [N]
        out.stats["Loss/scores/fake"] = logits.detach().flatten()
        out.stats["Loss/G/loss"] = g_loss.detach()
        return g_loss.mean()

    def _discriminator_main(self, G, D, ctx: RegContext, out: PhaseOutput, regs) -> torch.Tensor:
        with torch.no_grad():
            gen_img, ws = self.run_G(G, ctx.gen_z, ctx.gen_c)
        if ws is not None:
            out.terms["w_mean"] = ws[:, 0].mean(dim=0)
        ctx.fake_img = gen_img
        # R1 in the same phase differentiates the main pass's real logits (no second forward).
        real = ctx.real_img.detach().requires_grad_(any(r.name == "r1" for r in regs))
        fake_logits, real_logits = self.run_D_many(D, [gen_img, real], [ctx.gen_c, ctx.real_c])
        ctx.real, ctx.real_logits, ctx.fake_logits = real, real_logits, fake_logits
        d_real, d_fake = self.adversarial.discriminator(real_logits, fake_logits)
        threshold = self.adversarial.threshold
        out.stats["Loss/scores/fake"] = fake_logits.detach().flatten()
        out.stats["Loss/scores/real"] = real_logits.detach().flatten()
        out.stats["Loss/D/loss"] = (d_real + d_fake).detach()
        out.stats["Diag/D_acc_real"] = (real_logits.detach().flatten() > threshold).float()
        out.stats["Diag/D_acc_fake"] = (fake_logits.detach().flatten() < threshold).float()
        return d_fake.mean() + d_real.mean()


StyleGAN2Objective = GANObjective
