"""Evaluation metrics: pure functions on feature arrays or images (re-exports only, no side effects)."""

from ganforge.metrics.inception import FIDInceptionV3, load_inception, tf1_resize_bilinear
from ganforge.metrics.lpips import LPIPS, load_lpips
from ganforge.metrics.random_inception import (
    RANDOM_INCEPTION_SEED,
    feature_mean_std,
    random_inception,
    standardize_features,
)
from ganforge.metrics.vgg import VGG16, load_vgg16
from ganforge.metrics.weights import KNOWN_WEIGHTS, resolve_weights
from ganforge.metrics.fid import feature_stats, fid_from_features, fid_from_stats, trace_sqrt_product
from ganforge.metrics.inception_score import inception_score_from_logits_or_probs
from ganforge.metrics.kid import kid_from_features, polynomial_mmd2_unbiased
from ganforge.metrics.precision_recall import precision_recall
from ganforge.metrics.psnr_ssim import ms_ssim, psnr, ssim
from ganforge.metrics.swd import laplacian_pyramid, swd

__all__ = [
    "FIDInceptionV3", "load_inception", "tf1_resize_bilinear", "LPIPS", "load_lpips", "RANDOM_INCEPTION_SEED",
    "feature_mean_std", "random_inception", "standardize_features", "VGG16", "load_vgg16", "KNOWN_WEIGHTS",
    "resolve_weights",
    "feature_stats",
    "fid_from_features",
    "fid_from_stats",
    "inception_score_from_logits_or_probs",
    "kid_from_features",
    "laplacian_pyramid",
    "ms_ssim",
    "polynomial_mmd2_unbiased",
    "precision_recall",
    "psnr",
    "ssim",
    "swd",
    "trace_sqrt_product",
]
