"""The ganforge ``StyleGAN3Config`` of an official StyleGAN3-T/R network pickle (``training/networks_stylegan3.py``).

Read from data only, like :mod:`ganforge.compat.official_kwargs` for StyleGAN2: the generator's flat constructor
kwargs (``channel_base``, ``conv_kernel``, ``use_radial_filters``, ``magnitude_ema_beta`` ... at top level, the
mapping network's in ``mapping_kwargs``), then the official defaults. The parameter names already match
(REFERENCE Part 1 section 6: ``synthesis.input.*``, ``synthesis.L{i}_{size}_{ch}.*``, ``mapping.*``), so the state
dicts load as they are; the stored filters, frequencies, phases, magnitude EMAs and the user transform come along.

Config R is ``conv_kernel=1, use_radial_filters=True`` with the generator's channel base and max doubled by the
training script; ganforge's config keeps the undoubled values (the ones D uses), so they are halved here. The
discriminator is StyleGAN2's, read by :func:`ganforge.compat.official_kwargs.discriminator_fields`.
"""

from __future__ import annotations

from typing import Any

from ganforge.compat.official_kwargs import G_ARGS, UnsupportedKwargs, _attr, _Options, discriminator_fields, init_kwargs
from ganforge.compat.unpickler import PersistentStub
from ganforge.config import Config
from ganforge.models import model_config

SYNTHESIS_DEFAULTS = {"channel_base": 32768, "channel_max": 512, "num_layers": 14, "num_critical": 2,
                      "first_cutoff": 2.0, "first_stopband": 2 ** 2.1, "last_stopband_rel": 2 ** 0.3,
                      "margin_size": 10, "output_scale": 0.25, "filter_size": 6, "lrelu_upsampling": 2,
                      "conv_clamp": 256, "magnitude_ema_beta": 0.999}
"""The official ``SynthesisNetwork`` / ``SynthesisLayer`` defaults (used when a pickle's kwargs leave them out)."""
SPEED_ONLY = ("num_fp16_res", "fused_modconv_default", "channels_last")


def generator_fields(G: PersistentStub) -> dict[str, Any]:
    """StyleGAN3Config fields from an official StyleGAN3 generator stub (raises :class:`UnsupportedKwargs`)."""
    top = _Options(init_kwargs(G, G_ARGS, "G"), "G")
    mapping = _Options(top.take("mapping_kwargs", {}) or {}, "G mapping_kwargs")
    fields: dict[str, Any] = {key: top.take(key, _attr(G, "", key, None)) for key in
                              ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels")}
    kernel, radial = top.take("conv_kernel", 3), top.take("use_radial_filters", False)
    if (kernel, bool(radial)) not in ((3, False), (1, True)):
        raise UnsupportedKwargs(f"G conv_kernel={kernel}, use_radial_filters={radial} is neither config T (3, False) "
                                "nor R (1, True)")
    fields["cfg"] = "t" if kernel == 3 else "r"
    for key, default in SYNTHESIS_DEFAULTS.items():
        fields[key] = top.take(key, default)
    if fields["cfg"] == "r":  # the script doubled them for G only; ganforge stores the D values
        for key in ("channel_base", "channel_max"):
            if fields[key] % 2:
                raise UnsupportedKwargs(f"config R G {key}={fields[key]} is odd (the training script doubles it)")
            fields[key] //= 2
    fields.update(mapping_layers=mapping.take("num_layers", _attr(G, "mapping", "num_layers", 2)),
                  mapping_lr_multiplier=mapping.take("lr_multiplier", 0.01),
                  w_avg_beta=mapping.take("w_avg_beta", _attr(G, "mapping", "w_avg_beta", 0.998)))
    w_dim = fields["w_dim"]
    for key, allowed in (("embed_features", (None, w_dim)), ("layer_features", (None, w_dim))):
        mapping.expect(key, allowed)
    for key in SPEED_ONLY:
        top.take(key, None)
    mapping.finish()
    top.finish()
    return fields


def stylegan3_config(G: PersistentStub, D: PersistentStub | None, where: str) -> tuple[Config, str | None]:
    """The StyleGAN3Config of an official StyleGAN3 G (and its StyleGAN2 D), and why D cannot be used (``None`` if
    it can).

    Raises:
        ValueError: naming ``where`` when G uses options ganforge does not implement.
    """
    try:
        g_fields = generator_fields(G)
        config = model_config("stylegan3", **g_fields)
    except (UnsupportedKwargs, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: cannot rebuild the StyleGAN3 generator config: {exc}") from None
    if D is None:
        return config, None
    shared = {k: g_fields[k] for k in ("c_dim", "img_resolution", "img_channels", "channel_base", "channel_max")}
    shared.update(conv_clamp=config.conv_clamp, resample_filter=(1.0, 3.0, 3.0, 1.0))
    try:
        d = discriminator_fields(D, shared)
        for key, want in (("d_architecture", "resnet"), ("cmap_dim", None), ("mbstd_num_channels", 1)):
            if d[key] != want:
                raise UnsupportedKwargs(f"D {key}={d[key]!r}: ganforge's StyleGAN3 D has {want!r}")
        return model_config("stylegan3", **g_fields, mbstd_group_size=d["mbstd_group_size"],
                            d_mapping_layers=d["d_mapping_layers"]), None
    except (UnsupportedKwargs, ValueError, TypeError) as exc:
        return config, str(exc)
