"""Evaluation metrics: pure functions on feature arrays or images (re-exports only, no side effects).

The feature networks they run on (Inception, VGG16, LPIPS) and their weight files live in ``ganforge.backbones``.
"""

from ganforge.metrics.standardize import feature_mean_std, standardize_features
from ganforge.metrics.fid import feature_stats, fid_from_features, fid_from_stats, trace_sqrt_product
from ganforge.metrics.inception_score import inception_score_from_logits_or_probs
from ganforge.metrics.kid import kid_from_features, polynomial_mmd2_unbiased
from ganforge.metrics.precision_recall import precision_recall
from ganforge.metrics.psnr_ssim import ms_ssim, psnr, ssim
from ganforge.metrics.swd import laplacian_pyramid, swd

__all__ = [
    "feature_mean_std", "standardize_features",
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
