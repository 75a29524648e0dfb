"""StyleGAN3 (Karras et al. 2021, "Alias-Free Generative Adversarial Networks"), configs T and R, registered as
"stylegan3"; trained against StyleGAN2's residual discriminator, as in the paper."""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.stylegan2.discriminator import Discriminator
from ganforge.models.stylegan3 import presets  # noqa: F401  (registers stylegan3-t, stylegan3-r, stylegan3-cpu)
from ganforge.models.stylegan3.config import StyleGAN3Config
from ganforge.models.stylegan3.fourier import SynthesisInput, make_transform, user_transform
from ganforge.models.stylegan3.generator import Generator
from ganforge.models.stylegan3.layer import SynthesisLayer
from ganforge.models.stylegan3.schedule import LayerSchedule, layer_schedule
from ganforge.models.stylegan3.synthesis import SynthesisNetwork


def build_generator(cfg: StyleGAN3Config) -> Generator:
    """The generator of ``cfg`` (config R: 1x1 convs, radial filters, doubled channel base and max)."""
    return Generator(z_dim=cfg.z_dim, c_dim=cfg.c_dim, w_dim=cfg.w_dim, img_resolution=cfg.img_resolution,
                     img_channels=cfg.img_channels, mapping_layers=cfg.mapping_layers,
                     mapping_lr_multiplier=cfg.mapping_lr_multiplier, w_avg_beta=cfg.w_avg_beta,
                     channel_base=cfg.g_channel_base, channel_max=cfg.g_channel_max, num_layers=cfg.num_layers,
                     num_critical=cfg.num_critical, first_cutoff=cfg.first_cutoff, first_stopband=cfg.first_stopband,
                     last_stopband_rel=cfg.last_stopband_rel, margin_size=cfg.margin_size,
                     output_scale=cfg.output_scale, conv_kernel=cfg.conv_kernel, filter_size=cfg.filter_size,
                     lrelu_upsampling=cfg.lrelu_upsampling, use_radial_filters=cfg.use_radial_filters,
                     conv_clamp=cfg.conv_clamp, magnitude_ema_beta=cfg.magnitude_ema_beta)


def build_discriminator(cfg: StyleGAN3Config) -> Discriminator:
    """StyleGAN2's residual discriminator at ``channel_base`` / ``channel_max`` (not doubled for R)."""
    return Discriminator(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                         architecture="resnet", channel_base=cfg.channel_base, channel_max=cfg.channel_max,
                         conv_clamp=cfg.conv_clamp, mbstd_group_size=cfg.mbstd_group_size,
                         mapping_layers=cfg.d_mapping_layers)


OVERRIDE_KEYS = ("cfg", "z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max", "mbstd_group_size",
                 "num_layers", "magnitude_ema_beta")


def defaults(ctx: FamilyContext, overrides: dict) -> StyleGAN3Config:
    """The StyleGAN3 config for a dataset (the official ``--cbase 32768 --cmax 512 --map 2`` unless overridden;
    minibatch-std group at most the per-pass batch)."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    known["mbstd_group_size"] = min(known.get("mbstd_group_size") or min(ctx.batch_gpu, 4), ctx.batch_gpu)
    return StyleGAN3Config.from_dict({"name": "stylegan3", "img_resolution": ctx.resolution,
                                      "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


FAMILIES.register("stylegan3", FamilySpec(StyleGAN3Config, build_generator, default_d="stylegan3", defaults=defaults,
                                          override_keys=OVERRIDE_KEYS, default_preset="stylegan3-cpu",
                                          default_regs=()))
DISCRIMINATORS.register("stylegan3", DiscriminatorSpec(build_discriminator, families=("stylegan3",)))

__all__ = ["StyleGAN3Config", "Generator", "Discriminator", "SynthesisNetwork", "SynthesisLayer", "SynthesisInput",
           "LayerSchedule", "layer_schedule", "make_transform", "user_transform", "build_generator",
           "build_discriminator"]
